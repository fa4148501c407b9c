import {
  elementText,
  fieldElement as f,
  FieldSet,
  FieldsV1Error,
  keyElement as k,
  normalizeElement,
  pathText,
  valueElement as v,
} from './field-set';

describe('path elements', () => {
  it.each([
    [f('replicas'), 'f:replicas'],
    [k({ name: 'web' }), 'k:{"name":"web"}'],
    [k({ protocol: 'TCP', containerPort: 80 }), 'k:{"containerPort":80,"protocol":"TCP"}'],
    [v('finalizer.example.com/x'), 'v:"finalizer.example.com/x"'],
    [v(3), 'v:3'],
  ])('%s spells %s', (pe, spelled) => {
    expect(pe).toBe(spelled);
  });

  it.each([
    ['f:spec', '.spec'],
    ['k:{"name":"web"}', '[name="web"]'],
    ['k:{"protocol":"TCP","containerPort":80}', '[containerPort=80,protocol="TCP"]'],
    ['v:"a"', '[="a"]'],
    ['i:3', '[3]'],
  ])('%s prints as %s', (pe, text) => {
    expect(elementText(normalizeElement(pe))).toBe(text);
  });

  it('prints whole paths as Kubernetes does', () => {
    expect(
      pathText([
        f('spec'),
        f('template'),
        f('spec'),
        f('containers'),
        k({ name: 'web' }),
        f('image'),
      ]),
    ).toBe('.spec.template.spec.containers[name="web"].image');
  });

  it.each(['x:foo', 'k:{bad', 'k:[1]', 'i:-1', 'v:'])('refuses %s', (pe) => {
    expect(() => normalizeElement(pe)).toThrow(FieldsV1Error);
  });
});

describe('FieldsV1', () => {
  const deployment = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:template': {
        'f:spec': {
          'f:containers': {
            'k:{"name":"web"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': {
                'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
              },
            },
          },
        },
      },
    },
  };

  it('decodes and encodes the same document', () => {
    const set = FieldSet.fromFieldsV1(deployment);
    expect(set.toFieldsV1()).toEqual(deployment);
    expect(set.size()).toBe(8);
  });

  it('knows members from paths that only have members below them', () => {
    const set = FieldSet.fromFieldsV1(deployment);
    expect(set.has([f('metadata'), f('labels')])).toBe(true);
    expect(set.has([f('metadata')])).toBe(false);
    expect(set.hasAtOrBelow([f('metadata')])).toBe(true);
    expect(set.has([f('spec'), f('replicas')])).toBe(true);
    expect(
      set.has([f('spec'), f('template'), f('spec'), f('containers'), k({ name: 'web' })]),
    ).toBe(true);
  });

  it('writes "." first, then fields, keys and values in order', () => {
    const set = FieldSet.of(
      [f('l'), v('b')],
      [f('l'), v('a')],
      [f('l')],
      [f('a'), k({ name: 'z' })],
      [f('a'), f('x')],
    );
    const json = set.toFieldsV1();
    expect(Object.keys(json)).toEqual(['f:a', 'f:l']);
    expect(Object.keys(json['f:a'] as object)).toEqual(['f:x', 'k:{"name":"z"}']);
    expect(Object.keys(json['f:l'] as object)).toEqual(['.', 'v:"a"', 'v:"b"']);
  });

  it('orders keys and values by value, numbers as numbers', () => {
    const set = FieldSet.of(
      [f('ports'), k({ containerPort: 443, protocol: 'TCP' })],
      [f('ports'), k({ containerPort: 80, protocol: 'TCP' })],
      [f('ports'), k({ containerPort: 80, protocol: 'UDP' })],
      [f('set'), v(10)],
      [f('set'), v(9)],
    );
    const json = set.toFieldsV1();
    expect(Object.keys(json['f:ports'] as object)).toEqual([
      'k:{"containerPort":80,"protocol":"TCP"}',
      'k:{"containerPort":80,"protocol":"UDP"}',
      'k:{"containerPort":443,"protocol":"TCP"}',
    ]);
    expect(Object.keys(json['f:set'] as object)).toEqual(['v:9', 'v:10']);
  });

  it('normalizes keys a client spelled in another order', () => {
    const set = FieldSet.fromFieldsV1({
      'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} },
    });
    expect(set.has([f('ports'), k({ containerPort: 80, protocol: 'TCP' })])).toBe(true);
  });

  it.each([[[]], [{ 'f:a': 1 }], [{ 'f:a': { '.': { x: {} } } }], [{ 'q:a': {} }]])(
    'refuses %j',
    (doc) => {
      expect(() => FieldSet.fromFieldsV1(doc)).toThrow(FieldsV1Error);
    },
  );
});

describe('set algebra', () => {
  const a = FieldSet.of([f('spec'), f('replicas')], [f('spec'), f('paused')], [f('data')]);
  const b = FieldSet.of([f('spec'), f('replicas')], [f('metadata'), f('labels'), f('x')]);

  it('unions, intersects and subtracts member by member', () => {
    expect(a.union(b).paths().map(pathText)).toEqual([
      '.data',
      '.metadata.labels.x',
      '.spec.paused',
      '.spec.replicas',
    ]);
    expect(a.intersection(b).paths().map(pathText)).toEqual(['.spec.replicas']);
    expect(a.difference(b).paths().map(pathText)).toEqual(['.data', '.spec.paused']);
    expect(b.difference(a).toFieldsV1()).toEqual({ 'f:metadata': { 'f:labels': { 'f:x': {} } } });
  });

  it('difference keeps what is below a removed member', () => {
    const withItem = FieldSet.of([f('l'), k({ name: 'a' })], [f('l'), k({ name: 'a' }), f('x')]);
    const rest = withItem.difference(FieldSet.of([f('l'), k({ name: 'a' })]));
    expect(rest.paths().map(pathText)).toEqual(['.l[name="a"].x']);
  });

  it('cuts and keeps subtrees by prefix', () => {
    const s = FieldSet.of([f('status'), f('phase')], [f('status')], [f('spec'), f('x')]);
    expect(
      s
        .withoutPrefix([f('status')])
        .paths()
        .map(pathText),
    ).toEqual(['.spec.x']);
    expect(
      s
        .onlyPrefixes([[f('status')]])
        .paths()
        .map(pathText),
    ).toEqual(['.status', '.status.phase']);
    expect(
      s
        .onlyPrefixes([[f('spec'), f('x')]])
        .paths()
        .map(pathText),
    ).toEqual(['.spec.x']);
  });

  it('is empty when nothing is a member', () => {
    expect(new FieldSet().isEmpty()).toBe(true);
    expect(a.difference(a).isEmpty()).toBe(true);
    expect(a.difference(a).toFieldsV1()).toEqual({});
  });
});
