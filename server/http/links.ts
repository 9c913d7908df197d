// Room links: the viewer, writer and owner URLs of a room, with capabilities only in the fragment (docs/protocol.md).

export interface RoomLinks {
  viewUrl: string;
  writeUrl: string;
  ownerUrl: string;
}

/** `base` is `http(s)://host:port`. Fragments never reach a server or a Referer header, query strings do. */
export function roomLinks(base: string, roomId: string, ownerToken: string, writeToken: string): RoomLinks {
  const viewUrl = `${base}/r/${roomId}`;
  return {
    viewUrl,
    writeUrl: `${viewUrl}#token=${writeToken}`,
    // The owner page also carries the writer token so the owner can hand out the writer link.
    ownerUrl: `${viewUrl}#token=${ownerToken}&write=${writeToken}`,
  };
}
