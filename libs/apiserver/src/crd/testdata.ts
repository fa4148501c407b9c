// CustomResourceDefinitions the CRD tests share: a namespaced Widget with a rich schema, status and
// scale subresources and printer columns.
import type { KubeObject } from '@flotilla/api';

export function widgetCrd(
  overrides: { group?: string; plural?: string; kind?: string } = {},
): KubeObject {
  const group = overrides.group ?? 'example.com';
  const plural = overrides.plural ?? 'widgets';
  const kind = overrides.kind ?? 'Widget';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        plural,
        singular: kind.toLowerCase(),
        kind,
        shortNames: ['wd'],
        categories: ['all'],
      },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: WIDGET_SCHEMA },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Color', type: 'string', jsonPath: '.spec.color' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: WIDGET_SCHEMA },
          subresources: { status: {} },
        },
      ],
    },
  };
}

export const WIDGET_SCHEMA = {
  type: 'object',
  description: 'A widget: a thing with a color and some replicas.',
  properties: {
    spec: {
      type: 'object',
      description: 'What the widget should be.',
      required: ['color'],
      'x-kubernetes-validations': [
        {
          rule: "self.color != 'green' || self.replicas <= 5",
          message: 'green widgets come in fives at most',
        },
      ],
      properties: {
        color: { type: 'string', enum: ['red', 'green', 'blue'], description: 'Its color.' },
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        size: { type: 'string', pattern: '^[0-9]+(cm|m)$', maxLength: 8 },
        port: { 'x-kubernetes-int-or-string': true },
        owner: { type: 'string', format: 'email' },
        tags: {
          type: 'array',
          maxItems: 3,
          items: { type: 'string' },
          'x-kubernetes-list-type': 'set',
        },
        ports: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string' },
              number: { type: 'integer', format: 'int32' },
              protocol: { type: 'string', default: 'TCP' },
            },
          },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        labels: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 4 },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        note: { type: 'string', nullable: true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
    status: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        selector: { type: 'string' },
        phase: { type: 'string' },
      },
    },
  },
};
