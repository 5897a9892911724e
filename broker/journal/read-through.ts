import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { MemoryStore } from './apply.js';

export type Memory = MemoryStore & {
  createRetainedStreamCombi(patterns: string[]): Readable;
  countOffline(): Promise<unknown>;
  subscriptionsByTopic(topic: string): Promise<unknown>;
  streamWill(brokers?: unknown): Readable;
  getClientList(topic: string): Readable;
  destroy(): Promise<void>;
};
// Aedes's own in-memory persistence, without the callback layer its main export adds.
const MemoryPersistence = createRequire(import.meta.url)('aedes-persistence/asyncPersistence.js') as new () => Memory;

type Client = { id: string };

/** Aedes's in-memory persistence, whose reads the journal serves unchanged (persistence.ts journals the writes). */
export class ReadThrough {
  protected readonly memory = new MemoryPersistence();

  createRetainedStream(pattern: string) {
    return this.memory.createRetainedStream(pattern);
  }
  createRetainedStreamCombi(patterns: string[]) {
    return this.memory.createRetainedStreamCombi(patterns);
  }
  subscriptionsByClient(client: Client) {
    return this.memory.subscriptionsByClient(client);
  }
  countOffline() {
    return this.memory.countOffline();
  }
  subscriptionsByTopic(topic: string) {
    return this.memory.subscriptionsByTopic(topic);
  }
  outgoingStream(client: Client) {
    return this.memory.outgoingStream(client);
  }
  incomingGetPacket(client: Client, packet: { messageId?: number }) {
    return this.memory.incomingGetPacket(client, packet);
  }
  getWill(client: Client) {
    return this.memory.getWill(client);
  }
  streamWill(brokers?: unknown) {
    return this.memory.streamWill(brokers);
  }
  getClientList(topic: string) {
    return this.memory.getClientList(topic);
  }

}
