/**
 * A bounded FIFO with an explicit overflow policy. Producers never wait: a full
 * queue drops by policy and reports the drop through `onDrop`, so every drop is
 * counted. Consumers pull with `shift()` or async iteration.
 */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface BoundedQueueOptions<T> {
  capacity: number;
  policy: OverflowPolicy;
  onDrop?: (item: T) => void;
}

export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  readonly #policy: OverflowPolicy;
  readonly #onDrop: ((item: T) => void) | undefined;
  #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #closed = false;
  #waiter: ((value: IteratorResult<T>) => void) | undefined;
  #dropped = 0;

  constructor(options: BoundedQueueOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError('capacity must be a positive integer');
    }
    this.capacity = options.capacity;
    this.#policy = options.policy;
    this.#onDrop = options.onDrop;
    this.#items = new Array<T | undefined>(options.capacity);
  }

  get size(): number {
    return this.#size;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Add an item; returns false when the queue is closed or the item was dropped. */
  push(item: T): boolean {
    if (this.#closed) {
      return false;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: item, done: false });
      return true;
    }
    if (this.#size === this.capacity) {
      this.#dropped++;
      if (this.#policy === 'drop-newest') {
        this.#onDrop?.(item);
        return false;
      }
      const oldest = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size--;
      this.#onDrop?.(oldest);
    }
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    return true;
  }

  /** Take the next item without waiting. */
  tryShift(): T | undefined {
    if (this.#size === 0) {
      return undefined;
    }
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  /** Wait for the next item; resolves undefined once closed and empty. */
  shift(): Promise<T | undefined> {
    const item = this.tryShift();
    if (item !== undefined || this.#closed) {
      return Promise.resolve(item);
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new Error('BoundedQueue supports a single consumer'));
    }
    return new Promise((resolve) => {
      this.#waiter = (r) => resolve(r.done === true ? undefined : r.value);
    });
  }

  /** Remove every queued item (barge-in flush); returns how many were removed. */
  clear(): number {
    const n = this.#size;
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    return n;
  }

  /** No more pushes; a waiting consumer is released. Queued items can still be drained. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.shift();
      if (item === undefined) {
        return;
      }
      yield item;
    }
  }
}
