/**
 * Cuts a reply's TTS audio chunks into 20 ms frames without copying (views), except
 * for a frame that straddles two chunks. Alignment: the frame holding a chunk's last
 * sample carries that chunk's text end; earlier frames carry the previous one, so a
 * frame's `textEnd` is text whose audio has ended by the end of that frame.
 */
export class ReplyFramer {
  readonly #frameBytes: number;
  readonly #emit: (payload: Buffer, textEnd: number) => void;
  #carry: Buffer | undefined;
  #carryLen = 0;
  #textEnd = 0;

  constructor(frameBytes: number, emit: (payload: Buffer, textEnd: number) => void) {
    this.#frameBytes = frameBytes;
    this.#emit = emit;
  }

  get textEnd(): number {
    return this.#textEnd;
  }

  push(audio: Buffer, spanEnd: number): void {
    const fb = this.#frameBytes;
    let off = 0;
    if (this.#carryLen > 0 && this.#carry !== undefined) {
      const take = Math.min(fb - this.#carryLen, audio.length);
      audio.copy(this.#carry, this.#carryLen, 0, take);
      this.#carryLen += take;
      off = take;
      if (this.#carryLen === fb) {
        this.#emit(this.#carry, off === audio.length ? spanEnd : this.#textEnd);
        this.#carry = undefined;
        this.#carryLen = 0;
      }
    }
    while (audio.length - off >= fb) {
      const end = off + fb;
      this.#emit(audio.subarray(off, end), end === audio.length ? spanEnd : this.#textEnd);
      off = end;
    }
    if (off < audio.length) {
      this.#carry = Buffer.alloc(fb);
      audio.copy(this.#carry, 0, off);
      this.#carryLen = audio.length - off;
    }
    this.#textEnd = Math.max(this.#textEnd, spanEnd);
  }

  /** The reply's audio ended: emit a last partial frame, zero-padded. */
  flush(): void {
    if (this.#carry !== undefined && this.#carryLen > 0) {
      this.#emit(this.#carry, this.#textEnd);
    }
    this.#carry = undefined;
    this.#carryLen = 0;
  }
}
