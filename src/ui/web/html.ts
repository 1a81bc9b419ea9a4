import htm from 'htm';
import { h } from 'preact';

/** Tagged templates for preact: `html\`<p class=${c}>${text}</p>\`` (text is always escaped). */
export const html = htm.bind(h);
