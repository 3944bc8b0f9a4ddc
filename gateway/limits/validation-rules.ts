import { type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';
import { queryTooComplex } from '../errors';
import { measureShape } from './measure-shape';

export interface ShapeLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
}

/**
 * Depth, alias and directive limits as validation rules: they run once per distinct
 * document (Apollo caches validated documents by hash) and before any planning, so a
 * refused operation never reaches a subgraph. Their errors keep QUERY_TOO_COMPLEX.
 */
export function shapeLimitRules(limits: ShapeLimits): ValidationRule[] {
  const shapeRule = (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const shape = measureShape(context.getDocument(), operation.selectionSet);
      if (shape.depth > limits.maxDepth) {
        context.reportError(queryTooComplex(`the operation is nested ${shape.depth} levels deep; at most ${limits.maxDepth} are allowed`));
      }
      if (shape.aliases > limits.maxAliases) {
        context.reportError(queryTooComplex(`the operation uses ${shape.aliases} aliases; at most ${limits.maxAliases} are allowed`));
      }
      return false;
    },
  });
  const directiveRule = (context: ValidationContext): ASTVisitor => {
    let count = 0;
    return {
      Directive() {
        count += 1;
      },
      Document: {
        leave() {
          if (count > limits.maxDirectives) {
            context.reportError(queryTooComplex(`the operation uses ${count} directives; at most ${limits.maxDirectives} are allowed`));
          }
        },
      },
    };
  };
  return [shapeRule, directiveRule];
}
