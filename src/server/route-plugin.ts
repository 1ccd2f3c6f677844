import type { FastifyInstance } from 'fastify';

/** A route plugin: fastify's, given the options (the services) it uses and nothing else. */
export type RoutePlugin<O> = (app: FastifyInstance, options: O) => Promise<void>;
