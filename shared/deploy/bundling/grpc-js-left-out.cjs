// Stands in for @grpc/grpc-js in the bundle of a probe location that had no gRPC checks at synth
// (probeAliases in ../lambda-build.ts). The probe registry loads the gRPC prober, and so this module,
// only for a gRPC check: such a location has none, and if its definitions ever held one, the
// function's init (loadProbers in functions/probe/handler.ts) would fail with this message.
throw new Error('@grpc/grpc-js was left out of this probe bundle: its location had no gRPC checks when it was synthesized; redeploy with the current config');
// Never reached. It makes the file CommonJS to esbuild, which then reads the named imports of
// grpc-js from it at run time instead of warning at build time that they are missing.
module.exports = {};
