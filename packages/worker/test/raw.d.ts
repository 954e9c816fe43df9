/** Vite's `?raw` imports: the file's text (the README test reads the configuration table). */
declare module '*?raw' {
  const text: string
  export default text
}
