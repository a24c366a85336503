// The API tokens page: copy a new secret to the clipboard.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("copy-token");
  if (!button) {
    return;
  }
  button.addEventListener("click", async () => {
    const input = document.getElementById(button.dataset.target);
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
    } catch (error) {
      // Clipboard access needs a secure context; the text stays selected
      // so the user can copy it by hand.
      button.textContent = "Press Ctrl+C";
    }
  });
});
