import type { SpeechSpan } from '../../stages/stage-ports.js';

/**
 * The text of one turn's audio in playout order: the reply's text as its frames are
 * queued, with each filler's text where its audio was queued between them. A frame
 * carries the offset in this text that its audio completes, so what the caller heard
 * (fillers included) is a prefix of it.
 */
export class SpokenText {
  #text = '';
  /** Offset in the reply text queued so far. */
  #replyEnd = 0;
  /** The last piece queued is a filler: reply text after it is a new piece. */
  #afterFiller = false;

  /** Everything queued for playout so far. */
  get text(): string {
    return this.#text;
  }

  /** How much of the reply text is queued (the rest is sent to TTS, no audio yet). */
  get replyEnd(): number {
    return this.#replyEnd;
  }

  /** A reply frame completing `reply` up to `end`: its offset in the spoken text. */
  reply(reply: string, end: number): number {
    if (end > this.#replyEnd) {
      const piece = reply.slice(this.#replyEnd, end);
      if (this.#afterFiller) {
        this.#afterFiller = false;
        this.#separate(piece);
      }
      this.#text += piece;
      this.#replyEnd = end;
    }
    return this.#text.length;
  }

  /**
   * A filler of `text` is queued as `frames` frames of `frameBytes` bytes; its chunk
   * `spans` place its text on them exactly as a live reply's (the frame holding a
   * chunk's last byte completes that chunk's text). Returns each frame's offset.
   */
  filler(text: string, spans: readonly SpeechSpan[], frameBytes: number, frames: number): number[] {
    const base = this.#separate(text);
    this.#afterFiller = true;
    const out: number[] = [];
    let taken = 0;
    let span = 0;
    let end = 0;
    for (let f = 1; f <= frames; f++) {
      const frameEnd = f * frameBytes;
      for (let s = spans[span]; s !== undefined && s.audioEnd <= frameEnd; s = spans[++span]) {
        end = Math.max(end, Math.min(s.textEnd, text.length));
      }
      if (f === frames) {
        end = text.length;
      }
      if (end > taken) {
        this.#text += text.slice(taken, end);
        taken = end;
      }
      out.push(base + end);
    }
    return out;
  }

  /** Start a new piece: a space after text that does not end in one. */
  #separate(next: string): number {
    if (this.#text !== '' && !/\s$/.test(this.#text) && !/^\s/.test(next)) {
      this.#text += ' ';
    }
    return this.#text.length;
  }
}
