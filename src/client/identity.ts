import { userInfo } from 'node:os';

/** The OS user name, else `operator`: who acts when nobody is named. */
export const osUser = (): string => {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};
