// A root layout with no web font (next/font/google would fetch from the network at build time).
import type { ReactNode } from 'react';

export const metadata = { title: 'secure-ws in Next.js', icons: { icon: 'data:,' } };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
