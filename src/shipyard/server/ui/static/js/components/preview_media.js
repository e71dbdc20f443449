// Images, audio and video. Images are fetched and shown from a blob: URL with a type we set,
// so an SVG is only ever an <img> (which runs no script) and never DOM of our page. Audio and
// video stream from the file URL itself: the server answers Range requests, so seeking works
// without reading the whole file.

import { h } from "../lib/ui.js";
import { extensionOf } from "./artifact_source.js";

const IMAGE_TYPES = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", svg: "image/svg+xml",
  webp: "image/webp", bmp: "image/bmp", ico: "image/x-icon", avif: "image/avif",
};

const SMALL_IMAGE = 256;

export async function imagePreview(file, context) {
  const buffer = await context.bytes();
  const url = context.blobUrl(buffer, IMAGE_TYPES[extensionOf(file.name)] || "application/octet-stream");
  const image = h("img", { class: "ab-image", src: url, alt: file.name });
  const size = h("span", { class: "muted small" });
  image.addEventListener("load", () => {
    size.textContent = `${image.naturalWidth} × ${image.naturalHeight} px`;
    // tiny images (a confusion matrix, an icon) are scaled up by whole pixels to be readable
    const factor = Math.floor(SMALL_IMAGE / Math.max(image.naturalWidth, image.naturalHeight, 1));
    if (factor >= 2) {
      image.style.width = `${image.naturalWidth * factor}px`;
      image.classList.add("upscaled");
      size.textContent += `, shown at ${factor}×`;
    }
  });
  image.addEventListener("error", () => {
    size.textContent = "The browser cannot decode this image.";
  });
  // checkered backdrop: transparent images stay visible in both themes
  return h(
    "div",
    { class: "ab-image-preview" },
    h("div", { class: "ab-subbar" }, size),
    h("div", { class: "ab-image-frame" }, image),
  );
}

function media(tag, file, context) {
  const element = h(tag, { class: `ab-${tag}`, controls: true, preload: "metadata", src: context.url });
  element.textContent = `Your browser cannot play ${file.name}.`;
  // stop streaming when the selection moves on
  context.onDispose(() => {
    element.pause();
    element.removeAttribute("src");
    element.load();
  });
  return h("div", { class: `ab-media` }, element);
}

export async function audioPreview(file, context) {
  return media("audio", file, context);
}

export async function videoPreview(file, context) {
  return media("video", file, context);
}
