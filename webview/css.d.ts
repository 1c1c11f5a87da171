// esbuild turns a CSS import into dist/webview/main.css; for the compiler it is a side-effect-only module.
declare module "*.css";
