export * from "./onnx.ts";
