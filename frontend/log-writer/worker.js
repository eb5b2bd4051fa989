// The log-file writer's Web Worker. The page sends {type: "start", json: LogFileJob},
// then {type: "entries", json: [LogEntry, ...]} for each page of the log, then
// {type: "finish"}; the worker answers {type: "done", bytes} (the file, transferred, not
// copied) or {type: "error", message}. Messages are handled strictly in order, after the
// module has loaded.
importScripts('log_writer.js');

const ready = wasm_bindgen({ module_or_path: 'log_writer_bg.wasm' });
// A module that cannot load is reported to the page by the first message's handler below.
ready.catch(() => {});
let writer = null;
let failed = false;
let queue = ready;

function handle(message) {
  switch (message.type) {
    case 'start':
      writer = new wasm_bindgen.LogFileWriter(message.json);
      break;
    case 'entries':
      writer.add(message.json);
      break;
    case 'finish': {
      const bytes = writer.finish();
      writer.free();
      writer = null;
      self.postMessage({ type: 'done', bytes }, [bytes.buffer]);
      break;
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

self.onmessage = (event) => {
  queue = queue.then(() => {
    if (!failed) handle(event.data);
  }).catch((e) => {
    if (failed) return;
    failed = true;
    self.postMessage({ type: 'error', message: String((e && e.message) || e) });
  });
};
