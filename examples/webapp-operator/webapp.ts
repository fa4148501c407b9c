// The WebApp custom resource: its CustomResourceDefinition and how a client addresses it.
import { resource, type KubeObject } from '@flotilla/api';

export const GROUP = 'example.flotilla.io';

/** What the client needs to address webapps (the server learns the rest from the CRD). */
export const WEBAPPS = resource(GROUP, 'WebApp', 'webapps', {
  version: 'v1',
  shortNames: ['wa'],
  subresources: ['status'],
});

export interface WebApp extends KubeObject {
  spec: { image: string; replicas: number; port: number };
  status?: { readyReplicas?: number; observedGeneration?: number; url?: string };
}

export const WEBAPP_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `webapps.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'webapps', singular: 'webapp', kind: 'WebApp', shortNames: ['wa'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Image', type: 'string', jsonPath: '.spec.image' },
          { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
          { name: 'URL', type: 'string', jsonPath: '.status.url' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A web application: a Deployment of one image and a Service in front.',
            properties: {
              spec: {
                type: 'object',
                required: ['image'],
                properties: {
                  image: { type: 'string', minLength: 1, description: 'The container image.' },
                  replicas: { type: 'integer', minimum: 0, maximum: 20, default: 1 },
                  port: { type: 'integer', minimum: 1, maximum: 65535, default: 8080 },
                },
              },
              status: {
                type: 'object',
                properties: {
                  readyReplicas: { type: 'integer' },
                  observedGeneration: { type: 'integer' },
                  url: { type: 'string' },
                },
              },
            },
          },
        },
      },
    ],
  },
};
