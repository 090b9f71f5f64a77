/** The part of the service's logger (Fastify's pino) that the parts below the HTTP layer use. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
