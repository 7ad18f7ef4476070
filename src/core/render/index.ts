export { BLACK, createRaster, fillRect, getPixel, setPixel, WHITE, type Raster, type Rgb } from './raster.ts';
export { CHAR_ADVANCE, drawText, FONT_CHARS, glyph, GLYPH_HEIGHT, GLYPH_WIDTH, hasGlyph, LINE_HEIGHT, measureText } from './font.ts';
export { imageGrid, type ImageGridOptions } from './grid.ts';
export { dataBounds, scatter, scatterTransform, type ScatterOptions, type ScatterSeries } from './scatter.ts';
export { textImage, type TextImageOptions } from './text.ts';
export { decodeTokens, renderSamples, type SamplesInput } from './samples.ts';
