/**
 * `@beamline/pulsar/protobuf`: the package's protobuf writer on its own, for encoders outside the
 * Pulsar protocol (the ONNX model writer in functions/inference). Importing it loads the wire
 * codec only: no client, no sockets.
 */
export { ProtoWriter } from './wire/index.ts';
