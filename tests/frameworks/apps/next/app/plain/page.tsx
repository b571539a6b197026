// The same page without secure-ws: the baseline its server trace is compared with.
export default function Page() {
  return <p id="status">no socket here</p>;
}
