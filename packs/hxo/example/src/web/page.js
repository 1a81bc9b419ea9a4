// The browser side of the read-only page: fetches a page of notes and renders it.
export async function showNotes(root, fetchJson) {
  const page = await fetchJson('/notes');
  root.innerHTML = page.notes.map((n) => `<li>${n.title}</li>`).join('');
  return page.notes.length;
}
