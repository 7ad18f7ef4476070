/**
 * Images of the user's own: a zip archive (or, in the CLI, a folder) of PNG
 * files, all of the height, width and channels the Data node declares.
 * Entries are read in path order. When every image shares one top folder
 * (as zipping a folder makes), that folder is only a wrapper and is skipped. With labels 'folders', the
 * first folder below that is the image's class: the classes are the sorted
 * folder names, and y is an image's class index; an image outside any
 * class folder is then an error. Files that are not images (a README, a CSV)
 * are skipped; other image formats (JPEG, GIF, ...) are an error saying
 * that only PNG is read.
 */
import type { DataParams } from './datasets.ts';
import { archiveEntries } from './user-archive.ts';
import { decodePngInto, type ImageShape } from './png-image.ts';
import { UserDataError, type UserFile, type UserFolderEntry } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

type ImageParams = Pick<DataParams, 'height' | 'width' | 'channels' | 'labels'>;

export interface ImageSet {
  count: number;
  shape: ImageShape;
  /** Grey levels 0..255, count · height · width · channels. */
  pixels: Uint8Array;
  /** With labels 'folders': each image's class index, and the class names in index order. */
  labels?: Int32Array;
  classes?: string[];
}

const OTHER_IMAGE = /\.(jpe?g|gif|bmp|webp|tiff?|avif|heic)$/i;

/** The PNG entries, and each one's path below the shared wrapper folder (if any). */
function imageEntries(entries: readonly UserFolderEntry[], fileName: string, byFolder: boolean): { entry: UserFolderEntry; relative: string[] }[] {
  const images = [];
  for (const entry of entries) {
    if (OTHER_IMAGE.test(entry.path)) throw new UserDataError(`${fileName}: ${entry.path} is not a PNG; only PNG images are read, so convert it (or remove it)`);
    if (/\.png$/i.test(entry.path)) images.push(entry);
  }
  if (images.length === 0) throw new UserDataError(`${fileName} holds no PNG images`);
  if (images.length > USER_DATA_LIMITS.images) throw new UserDataError(`${fileName} holds ${images.length.toLocaleString('en-US')} images; the limit is ${USER_DATA_LIMITS.images.toLocaleString('en-US')}`);
  const paths = images.map((e) => e.path.split('/'));
  const top = paths[0]![0]!;
  // With class folders, a lone top folder is a wrapper only if the class folders sit inside it.
  const wrapped = paths.every((p) => p.length > (byFolder ? 2 : 1) && p[0] === top);
  return images.map((entry, i) => ({ entry, relative: wrapped ? paths[i]!.slice(1) : paths[i]! }));
}

export async function readImages(file: UserFile, fileName: string, params: ImageParams): Promise<ImageSet> {
  const shape: ImageShape = { height: params.height, width: params.width, channels: params.channels };
  const images = imageEntries(archiveEntries(file, fileName), fileName, params.labels === 'folders');
  const perImage = shape.height * shape.width * shape.channels;
  if (images.length * perImage > USER_DATA_LIMITS.pixelValues) {
    throw new UserDataError(
      `${fileName}: ${images.length.toLocaleString('en-US')} images of ${shape.height}x${shape.width}x${shape.channels} are ${(images.length * perImage).toLocaleString('en-US')} values; the limit is ${USER_DATA_LIMITS.pixelValues.toLocaleString('en-US')}`,
    );
  }
  for (const { entry } of images) {
    // The size a zip's directory or the file system gives; a zip entry is never inflated past it.
    if (entry.size > USER_DATA_LIMITS.imageFileBytes) throw new UserDataError(`${fileName}: ${entry.path} is ${formatBytes(entry.size)}; the limit for one image file is ${formatBytes(USER_DATA_LIMITS.imageFileBytes)}`);
  }
  const set: ImageSet = { count: images.length, shape, pixels: new Uint8Array(images.length * perImage) };
  if (params.labels === 'folders') {
    for (const { entry, relative } of images) {
      if (relative.length < 2) throw new UserDataError(`${fileName}: ${entry.path} is not inside a class folder; with labels "folders" every image sits in a folder named for its class`);
    }
    const classes = [...new Set(images.map((i) => i.relative[0]!))].sort();
    if (classes.length > USER_DATA_LIMITS.classes) throw new UserDataError(`${fileName} has ${classes.length} class folders; the limit is ${USER_DATA_LIMITS.classes}`);
    const index = new Map(classes.map((c, i) => [c, i]));
    set.labels = Int32Array.from(images, (i) => index.get(i.relative[0]!)!);
    set.classes = classes;
  }
  for (let i = 0; i < images.length; i++) {
    const { entry } = images[i]!;
    decodePngInto(await entry.read(), `${fileName}: ${entry.path}`, shape, set.pixels, i * perImage);
  }
  return set;
}
