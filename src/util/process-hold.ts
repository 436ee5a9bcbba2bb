/** A hold on the Node process: while held, the process does not exit for want of work. */
export interface ProcessHold {
  /** Lets go; safe to call more than once. */
  release(): void;
}

/** Holds the process with a ref'd handle that does nothing: it only tells Node someone is still listening. */
export function holdProcess(): ProcessHold {
  let handle: NodeJS.Timeout | undefined = setInterval(() => {}, 1 << 30);
  return {
    release() {
      if (handle !== undefined) clearInterval(handle);
      handle = undefined;
    },
  };
}
