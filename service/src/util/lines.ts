/** Line splitting for the byte streams the service reads (repo2docker's output, the engine's push progress). */
/** Splits a byte stream into lines, keeping the partial last line until more arrives. */
export class LineSplitter {
  private pending = '';

  push(chunk: string): string[] {
    const text = this.pending + chunk;
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  /** Whatever is left once the stream ends. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}
