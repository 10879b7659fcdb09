// Original file: proto/voicerelay/v1/turn.proto


export interface TurnEnded {
}

export interface TurnEnded__Output {
}
