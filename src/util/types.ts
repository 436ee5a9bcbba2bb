/** `T` with every property writable: for building a readonly value field by field before handing it out. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
