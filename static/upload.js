// Browser uploads: drop files or whole folders (or use the pickers, the way on a phone), then
// send each file as the raw body of a PUT, three at a time, with a bar per file and one overall.
// When every file has arrived the upload is finished (analysis starts) and the job page opens.
// Server contract: web/uploads.py. No framework; text goes in with textContent, never innerHTML.
(function () {
  "use strict";

  var PARALLEL = 3;

  // Every state-changing request carries the page's CSRF token (web/guard.py checks it).
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function setup(area) {
    var maxBytes = Number(area.dataset.maxBytes);
    var maxMb = area.dataset.maxMb;
    var importId = area.dataset.importId || null;
    var creating = null; // the promise of the new upload import, made on the first file
    var received = null; // resuming: "path|size|lastModified" of files the server already has
    var queue = [];
    var running = 0;
    var collecting = 0; // drops whose folders are still being read
    var t = { files: 0, ok: 0, failed: 0, same: 0, bytes: 0, doneBytes: 0 };
    var inflight = []; // jobs being sent, each with the bytes the browser has sent so far
    var retryable = []; // jobs that failed for a reason worth trying again (connection, server)

    var zone = area.querySelector("[data-dropzone]");
    var status = area.querySelector("[data-status]");
    var summary = area.querySelector("[data-summary]");
    var overall = area.querySelector("[data-overall]");
    var list = area.querySelector("[data-list]");
    var actions = area.querySelector("[data-actions]");

    // Creating the import --------------------------------------------------------------------

    function ensureImport(label) {
      if (importId) return loadReceived();
      if (!creating) {
        creating = fetch("/api/uploads", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
          body: JSON.stringify({ label: label }),
        }).then(function (response) {
          if (!response.ok) throw new Error("The server could not start an upload (" + response.status + ").");
          return response.json();
        }).then(function (data) {
          importId = String(data.id);
          received = {};
        });
      }
      return creating;
    }

    // An interrupted upload being resumed: skip what already arrived whole, so dropping the same
    // folder again does not store every file twice as "name (1).jpg".
    function loadReceived() {
      if (received) return Promise.resolve();
      return fetch("/api/uploads/" + importId).then(function (response) {
        return response.ok ? response.json() : { files: [] };
      }).then(function (data) {
        received = {};
        data.files.forEach(function (f) { received[f.path + "|" + f.size + "|" + f.lastModified] = true; });
      });
    }

    // Collecting files -----------------------------------------------------------------------

    function add(items, label) {
      if (!items.length) {
        collecting--;
        summary.textContent = "Nothing to upload was found in what was dropped.";
        return;
      }
      status.hidden = false;
      ensureImport(label).then(function () {
        collecting--;
        items.forEach(enqueue);
        pump();
        maybeDone();
      }).catch(function (error) {
        collecting--;
        summary.textContent = error.message;
      });
    }

    // readEntries hands a folder's entries over in chunks (100 in Chrome): call it until it
    // returns none. A file the browser cannot read becomes a failed row, not a failed drop.
    function walk(entry) {
      var path = entry.fullPath.replace(/^\/+/, "");
      if (entry.isFile) {
        return new Promise(function (resolve) {
          entry.file(
            function (file) { resolve([{ file: file, path: path }]); },
            function () { resolve([{ file: null, path: path }]); }
          );
        });
      }
      if (!entry.isDirectory) return Promise.resolve([]);
      var reader = entry.createReader();
      var children = [];
      return new Promise(function (resolve) {
        function more() {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(children.map(walk)).then(function (lists) { resolve([].concat.apply([], lists)); });
              return;
            }
            children.push.apply(children, batch);
            more();
          }, function () { resolve([{ file: null, path: path + "/" }]); });
        }
        more();
      });
    }

    function dropped(event) {
      event.preventDefault();
      zone.classList.remove("is-over");
      var entries = [];
      var loose = [];
      var items = event.dataTransfer.items;
      // Entries must be taken now: the DataTransfer is emptied once this handler returns.
      for (var i = 0; items && i < items.length; i++) {
        if (items[i].kind !== "file") continue;
        var entry = items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
        if (entry) entries.push(entry);
        else if (items[i].getAsFile()) loose.push({ file: items[i].getAsFile(), path: items[i].getAsFile().name });
      }
      if (!items) {
        Array.prototype.forEach.call(event.dataTransfer.files, function (file) { loose.push({ file: file, path: file.name }); });
      }
      var label = entries.length === 1 ? entries[0].name : null;
      collecting++;
      summary.textContent = "Reading what was dropped…";
      status.hidden = false;
      Promise.all(entries.map(walk)).then(function (lists) {
        var all = loose.concat([].concat.apply([], lists));
        add(all, label || describe(all.length));
      });
    }

    function picked(input, useRelative) {
      var files = Array.prototype.slice.call(input.files);
      var items = files.map(function (file) {
        return { file: file, path: (useRelative && file.webkitRelativePath) || file.name };
      });
      var top = useRelative && files.length && files[0].webkitRelativePath
        ? files[0].webkitRelativePath.split("/")[0] : null;
      input.value = ""; // so choosing the same files again fires change again
      collecting++;
      add(items, top || describe(items.length));
    }

    function describe(count) {
      return count === 1 ? "1 file from a browser" : count + " files from a browser";
    }

    // Sending --------------------------------------------------------------------------------

    function enqueue(item) {
      var row = makeRow(item.path);
      t.files++;
      if (!item.file) return fail({ item: item, row: row }, "The browser could not read this file.", false);
      if (received[item.path + "|" + item.file.size + "|" + item.file.lastModified]) {
        t.same++;
        return settle(row, "Already received", "is-done");
      }
      if (item.file.size > maxBytes) {
        return fail({ item: item, row: row }, item.path + " is larger than the " + maxMb + " MB limit", false);
      }
      t.bytes += item.file.size;
      queue.push({ item: item, row: row, loaded: 0 });
    }

    function pump() {
      while (running < PARALLEL && queue.length) {
        running++;
        send(queue.shift()).then(function () {
          running--;
          pump();
          maybeDone();
        });
      }
      update();
    }

    function send(job) {
      return new Promise(function (resolve) {
        var file = job.item.file;
        var query = new URLSearchParams({ path: job.item.path, lastModified: String(file.lastModified) });
        var xhr = new XMLHttpRequest();
        xhr.open("PUT", "/api/uploads/" + importId + "/files?" + query.toString());
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.setRequestHeader("X-CSRF-Token", csrfToken());
        inflight.push(job);
        settle(job.row, "Sending…", "is-sending");
        xhr.upload.onprogress = function (event) {
          if (!event.lengthComputable) return;
          job.loaded = event.loaded;
          job.row.bar.value = event.total ? event.loaded / event.total : 1;
          update();
        };
        xhr.onload = function () {
          inflight.splice(inflight.indexOf(job), 1);
          if (xhr.status === 201) {
            var data = JSON.parse(xhr.responseText);
            t.ok++;
            t.doneBytes += file.size;
            job.row.bar.value = 1;
            settle(job.row, data.path === job.item.path ? "Uploaded" : "Uploaded as " + data.path, "is-done");
          } else {
            fail(job, errorText(xhr), xhr.status >= 500);
          }
          resolve();
        };
        xhr.onerror = xhr.onabort = function () {
          inflight.splice(inflight.indexOf(job), 1);
          fail(job, "The connection was lost before the file arrived.", true);
          resolve();
        };
        xhr.send(file);
      });
    }

    function errorText(xhr) {
      try { return JSON.parse(xhr.responseText).error; } catch (e) { return "The server answered " + xhr.status + "."; }
    }

    // Showing --------------------------------------------------------------------------------

    function makeRow(path) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = path;
      var bar = document.createElement("progress");
      bar.max = 1;
      bar.value = 0;
      bar.setAttribute("aria-label", path);
      var note = document.createElement("span");
      note.className = "upload-note";
      note.textContent = "Waiting";
      li.append(name, bar, note);
      list.append(li);
      return { li: li, bar: bar, note: note };
    }

    function settle(row, text, cls) {
      row.note.textContent = text;
      row.li.className = cls;
    }

    // The overall bar counts bytes, so one large video moves it as much as it should; a failed
    // file leaves the total, so the bar can still reach the end.
    function fail(job, message, canRetry) {
      t.failed++;
      if (job.item.file && job.loaded !== undefined) t.bytes -= job.item.file.size;
      job.loaded = 0;
      if (canRetry) retryable.push(job);
      settle(job.row, message, "is-failed");
      update();
    }

    function update() {
      var sent = inflight.reduce(function (sum, job) { return sum + job.loaded; }, t.doneBytes);
      overall.value = t.bytes ? Math.min(1, sent / t.bytes) : (t.files ? 1 : 0);
      var finished = t.ok + t.failed + t.same;
      var text = finished + " of " + t.files + " files done";
      if (t.failed) text += ", " + t.failed + " failed";
      if (collecting) text += " (still reading folders…)";
      summary.textContent = text;
    }

    function maybeDone() {
      if (running || queue.length || collecting) return;
      update();
      if (!t.failed) return finish();
      // Something failed: say so and let the person decide, rather than moving on silently.
      actions.replaceChildren();
      if (retryable.length) {
        actions.append(button("Try the " + retryable.length + " failed files again", "button", function () {
          var again = retryable;
          retryable = [];
          t.failed -= again.length;
          again.forEach(function (job) {
            t.bytes += job.item.file.size;
            job.row.bar.value = 0;
            settle(job.row, "Waiting", "");
            queue.push(job);
          });
          actions.replaceChildren();
          pump();
        }));
      }
      var stored = t.ok + t.same;
      if (stored) {
        actions.append(button("Analyse the " + stored + " files received", "button button-secondary", finish));
      }
    }

    function button(text, cls, onClick) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.textContent = text;
      b.addEventListener("click", onClick);
      return b;
    }

    function finish() {
      summary.textContent = "All files received. Starting the analysis…";
      fetch("/api/uploads/" + importId + "/finish", { method: "POST", headers: { "X-CSRF-Token": csrfToken() } }).finally(function () {
        window.location.href = "/imports/" + importId;
      });
    }

    // Wiring ---------------------------------------------------------------------------------

    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("is-over");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-over"); });
    zone.addEventListener("drop", dropped);
    area.querySelector("[data-pick-files]").addEventListener("change", function (e) { picked(e.target, false); });
    area.querySelector("[data-pick-folder]").addEventListener("change", function (e) { picked(e.target, true); });
    // A drop that misses the zone would make the browser open the file and leave the page.
    window.addEventListener("dragover", function (event) { event.preventDefault(); });
    window.addEventListener("drop", function (event) { if (!zone.contains(event.target)) event.preventDefault(); });
    window.addEventListener("beforeunload", function (event) {
      if (running || queue.length || collecting) event.preventDefault();
    });
  }

  document.querySelectorAll("[data-upload]").forEach(setup);
})();
