import { problem, type ErrorDetail } from '../kernel/errors.ts';
import { roleOf } from './access-control.ts';
import { CredentialEscalation, UserExists, UserInvalid, UserNotFound } from './access-errors.ts';
import type { AccessStore, User } from './access-store.ts';
import type { Principal } from '../model/caller.ts';
import { BUILT_IN_ROLES } from './permissions.ts';
import { hashPassword, newSecret } from './secrets.ts';

/** A user as the Platform API v1 answers it. */
export interface UserView {
  /** mParticle's user id: the email with each character but letters and digits as its hex code (`test40mparticle2Ecom`). */
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: string;
  data_type: 'user';
}

/** The account a users call is for, and who asks. */
export interface UserScope {
  orgId: number;
  accountId: number;
  caller: Principal;
}

/** mParticle's id of a user: `test@mparticle.com` is `test40mparticle2Ecom`. */
export const userIdOf = (email: string) => email.replace(/[^A-Za-z0-9]/g, (c) => c.charCodeAt(0).toString(16).toUpperCase());

const view = (u: User): UserView => ({ id: userIdOf(u.email), first_name: u.firstName, last_name: u.lastName, email: u.email, role: u.roleId, data_type: 'user' });
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
type Body = Record<string, unknown>;

/**
 * The people with access to an account (mParticle's User Management), each with one role, built
 * in or custom. mParticle invites users by email and signs them in through its SSO; Quanta has
 * neither, so a user signs in with the OAuth password grant, with a password made (and answered
 * once) when the user is created, unless the request sets one.
 */
export class UserService {
  constructor(
    private readonly store: AccessStore,
    private readonly now: () => number = Date.now,
  ) {}

  list(scope: UserScope): UserView[] {
    return this.store.usersOf(scope.accountId).map(view);
  }

  get(scope: UserScope, id: string): UserView {
    return view(this.find(scope, id));
  }

  create(scope: UserScope, body: unknown): UserView & { password?: string } {
    this.mayManage(scope);
    const b = objectOf(body);
    const problems: ErrorDetail[] = [];
    const first = text(b.first_name);
    const last = text(b.last_name);
    if (first === undefined && last === undefined) problems.push(problem('First name or last name required.'));
    const email = text(b.email)?.toLowerCase();
    if (email === undefined) problems.push(problem('Email is required.'));
    else if (!EMAIL.test(email)) problems.push(problem('Email must be a valid email format.'));
    const roleId = this.roleIdOf(scope, b.role ?? 'user-role', problems);
    const password = this.passwordOf(b.password, problems);
    if (problems.length > 0) throw new UserInvalid(problems);
    if (this.store.user(email!)) throw new UserExists(email!);
    const made = password === undefined ? newSecret(18) : undefined;
    const user: User = { email: email!, firstName: first ?? '', lastName: last ?? '', orgId: scope.orgId, accountId: scope.accountId, roleId, passwordHash: hashPassword(password ?? made!), createdAtMs: this.now() };
    this.store.saveUser(user);
    return { ...view(user), ...(made ? { password: made } : {}) };
  }

  /** Changes the given names, role and password; the user's tokens end when the password changes. */
  update(scope: UserScope, id: string, body: unknown): UserView {
    this.mayManage(scope);
    const current = this.find(scope, id);
    const b = objectOf(body);
    const problems: ErrorDetail[] = [];
    const roleId = b.role === undefined ? current.roleId : this.roleIdOf(scope, b.role, problems);
    const password = this.passwordOf(b.password, problems);
    if (problems.length > 0) throw new UserInvalid(problems);
    const user: User = {
      ...current,
      firstName: text(b.first_name) ?? current.firstName,
      lastName: text(b.last_name) ?? current.lastName,
      roleId,
      passwordHash: password === undefined ? current.passwordHash : hashPassword(password),
    };
    this.store.saveUser(user);
    if (password !== undefined) this.store.deleteTokens({ kind: 'user', email: user.email });
    return view(user);
  }

  delete(scope: UserScope, id: string): void {
    this.mayManage(scope);
    this.store.deleteUser(this.find(scope, id).email);
  }

  private find(scope: UserScope, id: string): User {
    const byEmail = (() => {
      try {
        return decodeURIComponent(id).toLowerCase();
      } catch {
        return id;
      }
    })();
    const user = this.store.usersOf(scope.accountId).find((u) => u.email === byEmail || userIdOf(u.email) === id);
    if (!user) throw new UserNotFound(id, scope.accountId);
    return user;
  }

  private roleIdOf(scope: UserScope, role: unknown, problems: ErrorDetail[]): string {
    const custom = this.store.roleManifest(scope.orgId).roles;
    if (typeof role === 'string' && roleOf(role, custom)) return role;
    const ids = [...BUILT_IN_ROLES, ...custom].map((r) => r.role_id);
    problems.push(problem(`role "${String(role)}" is no role: use one of ${ids.join(', ')}.`));
    return '';
  }

  private passwordOf(value: unknown, problems: ErrorDetail[]): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length < 12) problems.push(problem('password must be a string of at least 12 characters.'));
    return typeof value === 'string' ? value : undefined;
  }

  /** Managing users is account-wide: credentials limited to some workspaces may not. */
  private mayManage(scope: UserScope): void {
    if (scope.caller.workspaceIds !== null) throw new CredentialEscalation('managing users needs credentials scoped to the whole account');
  }
}

const objectOf = (body: unknown): Body => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new UserInvalid([problem('The body must be a JSON object.')]);
  return body as Body;
};

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
