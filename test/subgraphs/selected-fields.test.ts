import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { selectedFieldNames } from '../../subgraphs/selected-fields';

/** What a resolver of the operation's first root field is told about its selection. */
function infoOf(document: string) {
  const parsed = parse(document);
  const operation = parsed.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    parsed.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

describe('selectedFieldNames', () => {
  it('names the fields below the resolved field at any depth, through named and inline fragments', () => {
    const info = infoOf(`{
      series { count channels { eReal ... on ChannelSeries { vRMS } ...Current } }
      other { frequency }
    }
    fragment Current on ChannelSeries { iRMS ...Current }`);
    expect([...selectedFieldNames(info)].sort()).toEqual(['channels', 'count', 'eReal', 'iRMS', 'vRMS']);
  });

  it('counts fields under @skip too (a superset is safe; missing a field is not)', () => {
    expect(selectedFieldNames(infoOf('{ series { frequency @skip(if: true) } }')).has('frequency')).toBe(true);
  });
});
