// AeOnnx latent explorer: plain browser JavaScript against the /v1 API (no build step, no dependencies).
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  model: null,     // GET /v1/model
  map: null,       // GET /v1/map (may stay null: a model without class centroids)
  items: [],       // uploaded images: { name, latent, input, output, psnr, picked }
  frames: [],      // current interpolation frames (data URLs)
  mapPicks: [],    // latents clicked on the map
  baseChosen: false, // the user picked the class-direction start themselves
  playing: null,
  atlas: null,     // the map of the --explore images (atlas.js)
};

function status(text, isError) {
  const el = $('status');
  el.textContent = text || '';
  el.style.color = isError ? '#ff7b72' : '';
}

// Every call reads an RFC 7807 problem document on failure and shows its reason.
async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let reason = response.status + ' ' + response.statusText;
    try { const problem = await response.json(); reason = problem.detail || problem.title || reason; } catch (_) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.json();
}

const postJson = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

function img(src, alt, cls) {
  const el = document.createElement('img');
  el.src = src;
  el.alt = alt || '';
  if (cls) el.className = cls;
  return el;
}

// ---- model ------------------------------------------------------------------------------

async function loadModel() {
  state.model = await api('/v1/model');
  const m = state.model;
  $('model-info').textContent = `${m.name} · ${m.kind} · ${m.input.channels}×${m.input.height}×${m.input.width} → latent ${m.latentDim} · ${m.provider} · generation ${m.generation}`;
  $('sample-source').textContent = m.canSample ? `from the ${m.samplingSource}` : 'this model has no latent statistics: sampling is off';
  $('sample-run').disabled = $('sample-next').disabled = !m.canSample;
  // A VAE with latent statistics can sample either; other models have one choice at most.
  $('sample-from-label').hidden = !(m.kind === 'vae' && m.samplingSource !== 'prior N(0, I)');
  buildDirectionSliders();
  try { state.map = await api('/v1/map?zoom=2'); } catch (e) { state.map = null; $('map').textContent = e.message; }
  drawMap();
  await state.atlas.refresh(m.generation);
}

// Follow a hot swap: the model's generation is polled; a new one reloads the model facts, the maps,
// and runs the uploaded images again through the new model.
let watching = false;
async function watchGeneration() {
  if (watching) return;
  watching = true;
  try {
    const facts = await api('/v1/explore');
    if (state.model && facts.modelGeneration !== state.model.generation) {
      status(`the server swapped in model generation ${facts.modelGeneration}: reloading…`);
      await loadModel();
      const files = state.items.map((i) => i.file).filter(Boolean);
      state.items = [];
      renderItems();
      if (files.length) await addFiles(files); else await interpolate();
      if (state.model.canSample) await sample();
      await applyDirections();
      status('');
    } else {
      await state.atlas.refresh(facts.modelGeneration);
    }
  } catch (e) {
    status(e.message, true);
  } finally {
    watching = false;
  }
}

// ---- images -----------------------------------------------------------------------------

async function addFiles(files) {
  const list = Array.from(files).filter((f) => f.type.startsWith('image/') || /\.(png|jpe?g|bmp|gif|webp)$/i.test(f.name));
  if (list.length === 0) return;
  const form = new FormData();
  list.forEach((f) => form.append('images', f, f.name));
  status(`reconstructing ${list.length} image(s)…`);
  try {
    // The reconstruction and the anomaly score of each upload (/v1/score: the score the model is calibrated
    // for, the decision at its threshold, and the error heatmap the CLI and the library draw).
    const [result, scored] = await Promise.all([
      api('/v1/reconstruct?format=json&zoom=2', { method: 'POST', body: form }),
      api('/v1/score?heatmap=true&zoom=2', { method: 'POST', body: form }),
    ]);
    result.items.forEach((item, i) => {
      const s = scored.images[i];
      state.items.push({
        name: item.name, latent: item.latent, input: item.input, output: item.output, psnr: item.psnr, picked: false, file: list[i],
        scoreName: scored.score, score: s.score, anomalous: s.anomalous, heatmapPanels: s.heatmap, heatmap: null,
      });
    });
    // The first two images become interpolation keys unless the user picked some already.
    if (!state.items.some((i) => i.picked)) state.items.slice(0, 2).forEach((i) => { i.picked = true; });
    renderItems();
    status('');
    drawMap();
    fillBaseChoices();
    if (pickedLatents().length >= 2) await interpolate(pickedLatents());
    await applyDirections();
  } catch (e) {
    status(e.message, true);
  }
}

function renderItems() {
  const box = $('items');
  box.replaceChildren();
  state.items.forEach((item, index) => {
    const card = document.createElement('div');
    card.className = 'card';
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = item.name;
    const tick = document.createElement('input');
    tick.type = 'checkbox';
    tick.checked = item.picked;
    tick.title = 'use as interpolation key / direction base';
    tick.setAttribute('aria-label', `use ${item.name} as an interpolation key and direction base`);
    tick.addEventListener('change', () => { item.picked = tick.checked; fillBaseChoices(); });
    const label = document.createElement('label');
    label.append(tick, ` PSNR ${item.psnr === null ? '∞' : item.psnr.toFixed(1)} dB`);
    const verdict = document.createElement('div');
    verdict.className = item.anomalous ? 'score anomalous' : 'score';
    verdict.textContent = `${item.scoreName} ${Number(item.score.toPrecision(4))}${item.anomalous === true ? ' · anomalous' : item.anomalous === false ? ' · normal' : ''}`;
    const heat = img(item.heatmap || '', `where the reconstruction of ${item.name} differs: the error over the image, red to yellow`, 'heatmap');
    const maps = document.createElement('div');
    maps.className = 'maps';
    maps.append(img(item.input, `input ${index + 1}: ${item.name}`), img(item.output, `reconstruction ${index + 1}`, 'reconstruction'), heat);
    card.append(name, maps, verdict, label);
    box.append(card);
    if (!item.heatmap) overlayPanel(item.heatmapPanels).then((url) => { item.heatmap = url; heat.src = url; }).catch((e) => status(e.message, true));
  });
}

// The service's heatmap is three panels side by side (image | reconstruction | error overlaid, on one
// absolute error scale for every image); the card already shows the first two, so it keeps the third.
function overlayPanel(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const w = image.naturalWidth / 3;
      const canvas = document.createElement('canvas');
      canvas.width = w; canvas.height = image.naturalHeight;
      canvas.getContext('2d').drawImage(image, 2 * w, 0, w, image.naturalHeight, 0, 0, w, image.naturalHeight);
      resolve(canvas.toDataURL('image/png'));
    };
    image.onerror = () => reject(new Error('the heatmap could not be decoded'));
    image.src = url;
  });
}

function pickedLatents() {
  return state.items.filter((i) => i.picked).map((i) => i.latent);
}

// ---- interpolation ----------------------------------------------------------------------

async function interpolate(keys, description) {
  $('interp-from').textContent = description || '';
  if (!keys || keys.length < 2) {
    keys = pickedLatents();
  }
  if (keys.length < 2 && state.map) {
    keys = state.map.points.slice(0, 2).map((p) => p.latent); // out of the box: the first two class centroids
  }
  if (keys.length < 2) { status('tick two or more images to interpolate', true); return; }
  const steps = Math.max(1, Math.min(32, parseInt($('interp-steps').value, 10) || 8));
  const mode = $('interp-mode').value;
  status('interpolating…');
  try {
    const result = await postJson(`/v1/interpolate?format=frames&zoom=4&steps=${steps}&mode=${mode}`, { latents: keys });
    state.frames = result.frames;
    const strip = $('interp-strip');
    strip.replaceChildren(...state.frames.map((f, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'frame';
      button.setAttribute('aria-label', `show frame ${i}`);
      button.append(img(f, `frame ${i}`));
      button.addEventListener('click', () => showFrame(i));
      return button;
    }));
    $('interp-slider').max = String(state.frames.length - 1);
    $('interp-keys').textContent = `${keys.length} keys, ${state.frames.length} frames (${mode})`;
    showFrame(0);
    status('');
  } catch (e) {
    status(e.message, true);
  }
}

function showFrame(index) {
  if (state.frames.length === 0) return;
  index = Math.max(0, Math.min(state.frames.length - 1, index));
  $('interp-slider').value = String(index);
  $('interp-frame').src = state.frames[index];
  Array.from($('interp-strip').querySelectorAll('img')).forEach((el, i) => el.classList.toggle('current', i === index));
}

function togglePlay() {
  if (state.playing) {
    clearInterval(state.playing);
    state.playing = null;
    $('interp-play').textContent = 'Play';
    return;
  }
  let direction = 1;
  state.playing = setInterval(() => {
    let next = parseInt($('interp-slider').value, 10) + direction;
    if (next >= state.frames.length || next < 0) { direction = -direction; next += 2 * direction; }
    showFrame(next);
  }, 90);
  $('interp-play').textContent = 'Stop';
}

// ---- sampling ---------------------------------------------------------------------------

async function sample() {
  const count = Math.max(1, Math.min(64, parseInt($('sample-count').value, 10) || 16));
  const seed = parseInt($('sample-seed').value, 10) || 0;
  const temperature = parseFloat($('sample-temperature').value);
  try {
    const from = $('sample-from-label').hidden ? 'auto' : $('sample-from').value;
    const result = await postJson('/v1/sample?format=json&zoom=2', { count, seed, temperature, from });
    $('sample-source').textContent = `from the ${result.source}`;
    $('samples').replaceChildren(...result.images.map((src, i) => img(src, `sample ${i}`)));
  } catch (e) {
    status(e.message, true);
  }
}

// ---- class directions -------------------------------------------------------------------

function buildDirectionSliders() {
  const box = $('dir-sliders');
  box.replaceChildren();
  for (const c of state.model.classes) {
    const name = document.createElement('span');
    name.textContent = c.label;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.min = '-2';
    slider.max = '2';
    slider.step = '0.1';
    slider.value = '0';
    slider.dataset.label = c.label;
    slider.setAttribute('aria-label', `weight of the ${c.label} direction`);
    const value = document.createElement('output');
    value.setAttribute('aria-hidden', 'true');
    value.textContent = '0.0';
    slider.addEventListener('input', () => { value.textContent = parseFloat(slider.value).toFixed(1); scheduleDirections(); });
    box.append(name, slider, value);
  }
  if (state.model.classes.length === 0) box.textContent = 'This model has no class centroids.';
  fillBaseChoices();
}

function fillBaseChoices() {
  const select = $('dir-base');
  const current = select.value;
  select.replaceChildren();
  state.items.forEach((item, i) => select.append(new Option(`image: ${item.name}`, `item:${i}`)));
  (state.model ? state.model.classes : []).forEach((c) => select.append(new Option(`centroid: ${c.label}`, `class:${c.label}`)));
  const firstPicked = state.items.findIndex((i) => i.picked);
  // Keep the user's own choice; otherwise follow the first ticked image (the page's promise), else the first centroid.
  const keep = state.baseChosen && Array.from(select.options).some((o) => o.value === current);
  select.value = keep ? current : (firstPicked >= 0 ? `item:${firstPicked}` : select.options[0]?.value || '');
}

let directionTimer = null;
function scheduleDirections() {
  clearTimeout(directionTimer);
  directionTimer = setTimeout(applyDirections, 60);
}

async function applyDirections() {
  const base = $('dir-base').value;
  if (!base) return;
  const body = { terms: [] };
  if (base.startsWith('item:')) body.latent = state.items[parseInt(base.slice(5), 10)].latent;
  else body.class = base.slice(6);
  for (const slider of $('dir-sliders').querySelectorAll('input[type=range]')) {
    const weight = parseFloat(slider.value);
    if (weight !== 0) body.terms.push({ class: slider.dataset.label, weight });
  }
  try {
    const result = await postJson('/v1/arithmetic?zoom=4', body);
    $('dir-image').src = result.image;
  } catch (e) {
    status(e.message, true);
  }
}

// ---- map --------------------------------------------------------------------------------

function project(latent) {
  const { mean, components } = state.map;
  let x = 0; let y = 0;
  for (let i = 0; i < latent.length; i++) {
    const c = latent[i] - mean[i];
    x += c * components[0][i];
    y += c * components[1][i];
  }
  return { x, y };
}

function drawMap() {
  const box = $('map');
  if (!state.map) return;
  const points = state.map.points.map((p) => ({ label: p.label, x: p.x, y: p.y, image: p.image, latent: p.latent, mine: false }));
  state.items.forEach((item) => { const { x, y } = project(item.latent); points.push({ label: item.name, x, y, image: item.output, latent: item.latent, mine: true }); });
  const xs = points.map((p) => p.x); const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const width = box.clientWidth || 480; const height = box.clientHeight || 360; const pad = 36;
  const sx = (x) => pad + ((x - x0) / ((x1 - x0) || 1)) * (width - 2 * pad);
  const sy = (y) => height - pad - ((y - y0) / ((y1 - y0) || 1)) * (height - 2 * pad);
  box.replaceChildren(...points.map((p) => {
    const el = document.createElement('button');
    el.type = 'button';
    el.setAttribute('aria-label', `${p.mine ? 'your image' : 'class centroid'} ${p.label}: pick for interpolation`);
    el.className = 'point' + (p.mine ? ' mine' : '');
    el.style.left = `${sx(p.x)}px`;
    el.style.top = `${sy(p.y)}px`;
    el.title = p.label;
    const caption = document.createElement('span');
    caption.textContent = p.label.length > 12 ? p.label.slice(0, 11) + '…' : p.label;
    el.append(img(p.image, ''), caption);
    el.addEventListener('click', () => pickOnMap(el, p.latent));
    return el;
  }));
}

async function pickOnMap(el, latent) {
  el.classList.add('picked');
  state.mapPicks.push(latent);
  if (state.mapPicks.length === 2) {
    const keys = state.mapPicks;
    state.mapPicks = [];
    setTimeout(() => $('map').querySelectorAll('.picked').forEach((p) => p.classList.remove('picked')), 400);
    await interpolate(keys, 'between two points of the centroid map');
    $('interp-section').scrollIntoView({ behavior: 'smooth' });
  }
}

// ---- wiring -----------------------------------------------------------------------------

function wire() {
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); addFiles(e.dataTransfer.files); });
  $('file-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
  $('interp-run').addEventListener('click', () => interpolate());
  $('interp-play').addEventListener('click', togglePlay);
  $('interp-slider').addEventListener('input', (e) => showFrame(parseInt(e.target.value, 10)));
  $('interp-mode').addEventListener('change', () => interpolate());
  $('sample-run').addEventListener('click', sample);
  $('sample-next').addEventListener('click', () => { $('sample-seed').value = String((parseInt($('sample-seed').value, 10) || 0) + 1); sample(); });
  $('sample-temperature').addEventListener('input', (e) => { $('sample-temperature-value').textContent = parseFloat(e.target.value).toFixed(2); });
  $('sample-temperature').addEventListener('change', sample);
  $('sample-from').addEventListener('change', sample);
  $('dir-base').addEventListener('change', () => { state.baseChosen = true; applyDirections(); });
  $('dir-reset').addEventListener('click', () => { $('dir-sliders').querySelectorAll('input[type=range]').forEach((s) => { s.value = '0'; s.dispatchEvent(new Event('input')); }); });
  window.addEventListener('resize', drawMap);
}

async function main() {
  state.atlas = createAtlas({ api, status, addFiles, interpolate: async (keys, description) => { await interpolate(keys, description); } });
  wire();
  try {
    await loadModel();
    // Out of the box, before any upload: an interpolation between two class centroids, samples, a direction start.
    await Promise.all([interpolate(), state.model.canSample ? sample() : null, applyDirections()]);
    document.body.dataset.ready = 'true';
    setInterval(watchGeneration, 2000);
  } catch (e) {
    status(e.message, true);
  }
}

main();
