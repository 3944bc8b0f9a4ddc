import { graphql, GraphQLObjectType, GraphQLSchema } from 'graphql';
import { NumberSeries } from '../../schema/scalars';

/** A schema that (unlike ours) takes the scalar as an argument, to show what a client would be told. */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      series: { type: NumberSeries, resolve: (_root, _args, value: unknown) => value },
      echo: { type: NumberSeries, args: { values: { type: NumberSeries } }, resolve: (_root, args: { values: unknown }) => args.values },
    },
  }),
});

const serve = (value: unknown) => graphql({ schema, source: '{ series }', contextValue: value });

describe('the NumberSeries scalar', () => {
  it('serves an array of finite numbers and nulls as it is', async () => {
    expect(await serve([1.5, null, -3, 0])).toEqual({ data: { series: [1.5, null, -3, 0] } });
    expect(await serve([])).toEqual({ data: { series: [] } });
  });

  it.each([
    ['a number', 1, /must be an array/],
    ['a string', '1,2', /must be an array/],
    ['NaN', [1, Number.NaN], /position 1 is NaN/],
    ['Infinity', [Number.POSITIVE_INFINITY], /position 0 is Infinity/],
    ['a numeric string', [1, '2'], /position 1 is 2/],
    ['a hole', [1, , 3], /position 1 is undefined/], // eslint-disable-line no-sparse-arrays
    ['a nested array', [[1]], /position 0/],
  ])('refuses %s', async (_what, value, message) => {
    const result = await serve(value);
    expect(result.data).toEqual({ series: null });
    expect(result.errors?.[0]?.message).toMatch(message);
  });

  it('refuses input, as a literal and as a variable, saying it is output only', async () => {
    const literal = await graphql({ schema, source: '{ echo(values: [1, 2]) }' });
    expect(literal.errors?.[0]?.message).toMatch(/NumberSeries is output only/);
    const variable = await graphql({ schema, source: 'query ($v: NumberSeries) { echo(values: $v) }', variableValues: { v: [1, 2] } });
    expect(variable.errors?.[0]?.message).toMatch(/NumberSeries is output only/);
    expect(() => NumberSeries.parseValue([1])).toThrow(/output only/);
  });
});
