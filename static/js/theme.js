/* Apply the theme chosen with the header's switch before the first paint (no flash).
   "auto" (nothing stored) follows the system's prefers-color-scheme through CSS alone. */
(function () {
  try {
    var theme = localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage refused: stay automatic */ }
})();
