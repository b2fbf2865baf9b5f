// Nothing a person typed is lost without a warning (issue 16): on every page, leaving while a
// form holds changes that were not sent asks first (the browser's own "Leave site?" question).
// A form counts as changed when a field differs from what the page was served with. Sending
// that form is not leaving it; forms that only search (method GET) and forms marked
// data-unsaved-guard="off" are never counted. Loaded from base.html as a file, for the
// Content-Security-Policy (no inline script).
(function () {
  "use strict";

  var sending = null;

  function fieldChanged(field) {
    if (field.disabled || !field.name) {
      return false;
    }
    var type = (field.type || "").toLowerCase();
    if (type === "hidden" || type === "submit" || type === "button" || type === "reset") {
      return false;
    }
    if (type === "checkbox" || type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (type === "file") {
      return field.value !== "";
    }
    if (field.tagName === "SELECT") {
      for (var i = 0; i < field.options.length; i++) {
        var option = field.options[i];
        if (option.selected !== option.defaultSelected) {
          // With no option marked selected in the page, the first one shows by default.
          var implicit = !field.multiple && i === 0 && !field.querySelector("option[selected]");
          if (!(implicit && option.selected)) {
            return true;
          }
        }
      }
      return false;
    }
    if (typeof field.defaultValue === "string") {
      return field.value !== field.defaultValue;
    }
    return false;
  }

  function guarded(form) {
    return (form.method || "get").toLowerCase() === "post" && form.dataset.unsavedGuard !== "off";
  }

  function changed(form) {
    for (var i = 0; i < form.elements.length; i++) {
      if (fieldChanged(form.elements[i])) {
        return true;
      }
    }
    return false;
  }

  function changedForms() {
    var found = [];
    var forms = document.forms;
    for (var i = 0; i < forms.length; i++) {
      if (forms[i] !== sending && guarded(forms[i]) && changed(forms[i])) {
        found.push(forms[i]);
      }
    }
    return found;
  }

  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) {
      sending = event.target;
    }
  });

  // Back to a page kept by the browser (bfcache): nothing is being sent any more.
  window.addEventListener("pageshow", function () {
    sending = null;
  });

  window.addEventListener("beforeunload", function (event) {
    var forms = changedForms();
    if (forms.length === 0) {
      return undefined;
    }
    document.documentElement.dataset.unsavedWarned = String(forms.length);
    event.preventDefault();
    // Older browsers show the question only when a value is returned.
    event.returnValue = "";
    return "";
  });

  // For the browser tests and anyone curious: how many forms hold unsent changes now.
  window.unsavedChanges = function () {
    return changedForms().length;
  };
})();
