import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileStoreContract } from '../contracts/profile-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { newProfile } from '../../profiles/profile.ts';
import { openSqlite } from './open.ts';
import { SqliteProfileStore } from './sqlite-profile-store.ts';

profileStoreContract('SQLite', async (file) => new SqliteProfileStore(file), () => join(tempDir('profiles'), 'state.sqlite'));

describe('SqliteProfileStore eraseUsers', () => {
  it("leaves no row of the user's in the file", async () => {
    const file = join(tempDir('profiles-erase'), 'state.sqlite');
    const [gone, stays] = ['-5' as Mpid, '6' as Mpid];
    const store = new SqliteProfileStore(file);
    await store.save([newProfile(workspaceId(1), gone, 1), newProfile(workspaceId(1), stays, 1)]);
    await store.eraseUsers(workspaceId(1), [gone]);
    await store.close();
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT mpid FROM profiles').pluck().all()).toEqual([stays]);
    } finally {
      db.close();
    }
  });
});
