// A page restored from the back/forward cache shows what it held when the
// user left it, so an inline save made since would look undone and the
// next edit would be refused as a conflict with the user's own save.
// Reload instead, so Back always shows the current state.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    window.location.reload();
  }
});
