export { createMemoryPubSub, type MemoryPubSub, type MemoryPubSubOptions } from './memory.js'
export { ResyncRequiredError, tracked, type PubSub, type PubSubEvent, type PubSubSubscribeOptions, type Tracked } from './pubsub.js'
