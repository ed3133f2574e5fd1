/** Jobs of one VM run one at a time, in the order they arrived: the shared FIFO lock, keyed by VM UUID. */
export { KeyedLock } from '@ballast/runtime';
