// CSS files imported as text by the widget bundle (esbuild --loader:.css=text).
declare module '*.css' {
  const text: string;
  export default text;
}
