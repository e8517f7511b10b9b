/**
 * SVG → PNG with resvg (@resvg/resvg-js: Rust resvg, prebuilt binary shipped in its npm
 * optional packages; https://github.com/yisibl/resvg-js). Deterministic: system fonts are
 * off and only the DejaVu Sans files bundled by the `dejavu-fonts-ttf` npm package are
 * loaded, so the same SVG gives the same bytes on every machine. No network, no browser;
 * the only files read are those two fonts (by resvg, from node_modules).
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { CHART_FONT_FAMILY } from './timeline-chart.js';

const require = createRequire(import.meta.url);

/** The bundled font files (regular and bold) the rasterizer loads. */
export function chartFontFiles(): string[] {
  return [require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];
}

export interface PngOptions {
  /** Scale of the PNG against the SVG's size (default 2: crisp when Slack's preview zooms). */
  scale?: number;
  /** Font files to load; default {@link chartFontFiles}. System fonts are never loaded. */
  fontFiles?: string[];
}

/** Rasterizes an SVG to PNG bytes with the bundled font only. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const resvg = new Resvg(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles: options.fontFiles ?? chartFontFiles(),
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: 'white',
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
