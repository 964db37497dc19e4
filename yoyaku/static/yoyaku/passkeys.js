// Passkeys (WebAuthn): log in with one, or add one on my page / the staff passkey page.
//
// Each block marked data-passkey="login" or data-passkey="register" is hidden in the page and
// shown here only when the browser can use passkeys; without JavaScript a <noscript> note
// explains that the password log-in (or the authenticator app) works instead. The options come
// from data-options-url as JSON (binary values in base64url), the browser's answer goes to
// data-verify-url as JSON, and the server answers {redirect} or {error}. The messages shown
// here are in the page's own language, in data-msg-* attributes.
(function () {
  "use strict";

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    (list || []).forEach(function (item) {
      item.id = toBuffer(item.id);
    });
    return list;
  }

  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: { clientDataJSON: toText(response.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
    };
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) {
        out.response.transports = response.getTransports();
      }
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) {
        out.response.userHandle = toText(response.userHandle);
      }
    }
    return out;
  }

  function postJSON(root, url, body) {
    var token = root.querySelector("input[name=csrfmiddlewaretoken]");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": token ? token.value : "",
      },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "");
          error.field = data.field;
          error.fromServer = true;
          throw error;
        }
        return data;
      });
    });
  }

  function showError(root, message) {
    var box = root.querySelector("[data-passkey-error]");
    box.textContent = message;
    box.hidden = false;
    box.focus();
  }

  function failed(root, error) {
    var message;
    if (error && error.fromServer && error.message) {
      message = error.message;
    } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      message = root.getAttribute("data-msg-cancelled");
    } else if (error && error.name === "InvalidStateError") {
      message = root.getAttribute("data-msg-exists");
    } else {
      message = root.getAttribute("data-msg-failed");
    }
    showError(root, message);
    var name = root.querySelector("input[name=name]");
    if (name) {
      name.setAttribute("aria-invalid", error && error.field === "name" ? "true" : "false");
    }
  }

  function busy(root, on) {
    root.querySelectorAll("button").forEach(function (button) {
      button.disabled = on;
    });
    root.setAttribute("aria-busy", on ? "true" : "false");
  }

  function logIn(root) {
    busy(root, true);
    postJSON(root, root.getAttribute("data-options-url"))
      .then(function (options) {
        return navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .then(function (credential) {
        return postJSON(root, root.getAttribute("data-verify-url"), {
          credential: credentialJSON(credential),
        });
      })
      .then(function (data) {
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        busy(root, false);
        failed(root, error);
      });
  }

  function register(root) {
    var nameInput = root.querySelector("input[name=name]");
    var name = nameInput ? nameInput.value.trim() : "";
    if (!name) {
      failed(root, { fromServer: true, field: "name", message: root.getAttribute("data-msg-name") });
      nameInput.focus();
      return;
    }
    busy(root, true);
    postJSON(root, root.getAttribute("data-options-url"))
      .then(function (options) {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      })
      .then(function (credential) {
        return postJSON(root, root.getAttribute("data-verify-url"), {
          name: name,
          credential: credentialJSON(credential),
        });
      })
      .then(function (data) {
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        busy(root, false);
        failed(root, error);
      });
  }

  function start() {
    if (!supported()) {
      document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
        note.hidden = false;
      });
      return;
    }
    document.querySelectorAll("[data-passkey]").forEach(function (root) {
      root.hidden = false;
      if (root.getAttribute("data-passkey") === "register") {
        root.addEventListener("submit", function (event) {
          event.preventDefault();
          register(root);
        });
      } else {
        root.querySelector("button").addEventListener("click", function (event) {
          event.preventDefault();
          logIn(root);
        });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
