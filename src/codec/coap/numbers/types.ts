/** RFC 7252 §3 message types. */
export const CON = 0;
export const NON = 1;
export const ACK = 2;
export const RST = 3;
export type MessageType = typeof CON | typeof NON | typeof ACK | typeof RST;

export const TYPE_NAMES: Readonly<Record<MessageType, string>> = { 0: 'CON', 1: 'NON', 2: 'ACK', 3: 'RST' };
