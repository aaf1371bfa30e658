/** Topic names: one parser for the client, the native client and the admin REST paths. */
export { parseTopicName, partitionTopic, type ParseTopicNameOptions, type TopicName } from './topic-name.ts';
