import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SensorReadError } from './types.js';

/** Reads a sysfs attribute; kernel errors become read failures of the right kind. */
export async function readAttribute(root: string, path: string): Promise<string> {
  try {
    return (await readFile(join(root, path), 'utf8')).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The kernel's dht11 driver answers ETIMEDOUT when the sensor did not respond, EIO on a bad checksum.
    if (code === 'ETIMEDOUT') throw new SensorReadError('timeout', `${path}: sensor did not respond`);
    if (code === 'EIO') throw new SensorReadError('checksum', `${path}: bad checksum`);
    throw new SensorReadError('io', `${path}: ${code ?? (err as Error).message}`);
  }
}

export async function listDir(root: string, path: string): Promise<string[]> {
  try {
    return await readdir(join(root, path));
  } catch {
    return [];
  }
}
