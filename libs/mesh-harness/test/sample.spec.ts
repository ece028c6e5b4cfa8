import { sample } from '../src';

describe('sample', () => {
  const text = [
    '# HELP x_total x',
    '# TYPE x_total counter',
    'x_total{status="success"} 3',
    'x_total{status="retry"} 1.5',
    'y 7',
  ].join('\n');

  it('when a series is present, its value is read', () => {
    expect(sample(text, 'x_total{status="success"}')).toBe(3);
    expect(sample(text, 'x_total{status="retry"}')).toBe(1.5);
    expect(sample(text, 'y')).toBe(7);
  });

  it('when a series is absent or only a prefix matches, it reads 0', () => {
    expect(sample(text, 'x_total{status="failure"}')).toBe(0);
    expect(sample(text, 'x')).toBe(0);
  });
});
