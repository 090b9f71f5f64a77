/**
 * The hub scopes the service's users hold, spelled as a hub admin writes them in a role. Literal
 * on purpose, not taken from src/auth: a scope renamed in the service then fails the tests.
 */
export const ACCESS = 'access:services!service=repo2docker';
export const READ = 'custom:repo2docker:read';
export const BUILD = 'custom:repo2docker:build';
export const ADMIN = 'custom:repo2docker:admin';
