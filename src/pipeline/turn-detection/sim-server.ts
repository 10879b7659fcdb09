import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DetectRequest__Output } from '../../generated/voicerelay/v1/DetectRequest.js';
import type { DetectResponse } from '../../generated/voicerelay/v1/DetectResponse.js';
import { startEngineServer, type EngineServer } from '../../engines/shared/engine-server.js';
import { textCompleteness } from './text-cues.js';
import { turnProto } from './turn-proto.js';

export interface SimTurnServerOptions {
  /** Answer each question this late (default 0); a very long delay plays a slow server. */
  delayMs?: number;
  /** Never answer (a hung server); the stream stays open. */
  silent?: boolean;
  /** Probability from the transcript (default: the embedded text cues). */
  probability?: (transcript: string) => number;
}

export interface SimTurnServer extends EngineServer {
  /** Questions (Evaluate) received over all streams. */
  readonly questions: number;
  /** Resolves once a client has opened a stream and sent its config. */
  configured(): Promise<void>;
}

/**
 * A simulated TurnDetector server for tests and local runs: answers from the transcript
 * it was sent, after an optional delay, or never.
 */
export async function startSimTurnServer(
  o: SimTurnServerOptions = {},
  port = 0,
): Promise<SimTurnServer> {
  const timers = new Set<NodeJS.Timeout>();
  let questions = 0;
  let onConfigured: (() => void) | undefined;
  const configured = new Promise<void>((resolve) => (onConfigured = resolve));
  const detect = (call: ServerDuplexStream<DetectRequest__Output, DetectResponse>): void => {
    let transcript = '';
    call.on('data', (req: DetectRequest__Output) => {
      if (req.config) {
        call.write({ ready: { wantsAudio: false, model: 'sim' } });
        onConfigured?.();
      } else if (req.transcript !== undefined && req.kind === 'transcript') {
        transcript = req.transcript;
      } else if (req.turnEnded) {
        transcript = '';
      } else if (req.evaluate) {
        questions++;
        if (o.silent === true) {
          return;
        }
        const id = req.evaluate.id;
        const probability = (o.probability ?? textCompleteness)(transcript);
        const answer = (): void => {
          if (!call.cancelled && call.writable) {
            call.write({ estimate: { id, probability } });
          }
        };
        if ((o.delayMs ?? 0) <= 0) {
          answer();
        } else {
          const t = setTimeout(() => {
            timers.delete(t);
            answer();
          }, o.delayMs);
          timers.add(t);
        }
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  const server = await startEngineServer(
    [
      {
        name: 'voicerelay.v1.TurnDetector',
        definition: turnProto().TurnDetector.service,
        implementation: { detect },
      },
    ],
    { port, shutdownGraceMs: 0 },
    () => {
      for (const t of timers) {
        clearTimeout(t);
      }
      timers.clear();
    },
  );
  return {
    ...server,
    get questions() {
      return questions;
    },
    configured: () => configured,
  };
}
