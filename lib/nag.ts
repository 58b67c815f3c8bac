import { type App, type PolicyViolation, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Registers the cdk-nag AwsSolutions pack on the app, so synthesis fails on any finding that is
 * not acknowledged. The acknowledgements live next to the resources that cause them
 * (`Validations.of(resource).acknowledge(...)`), so any app built from these constructs gets them.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** The AwsSolutions findings under `scope` that are not acknowledged (empty when compliant). */
export function nagFindings(scope: IConstruct): PolicyViolation[] {
  return new AwsSolutionsChecks().validateScope(scope).violations;
}
