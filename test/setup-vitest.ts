import { expect } from 'vitest';
import { codeMatchers } from './expect-code';

expect.extend(codeMatchers);
