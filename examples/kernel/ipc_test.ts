import {
  deepStrictEqual,
  match,
  ok,
  strictEqual,
  throws,
} from "node:assert/strict";
import { type Cpu, currentCpu, Machine, Reg } from "@exo-kernel/core/machine";
import {
  FrameAllocator,
  Page,
  PageTableFlags,
  readBytes,
  VirtualAddress,
  writeBytes,
} from "@exo-kernel/core/memory";
import {
  AddressSpace,
  call,
  Endpoint,
  IPC_CALL,
  IpcError,
  IpcErrorCode,
  ipcHandler,
  IpcKernel,
  MAX_MESSAGE_BYTES,
  messageInfo,
  messageLabel,
  messageLength,
  messageRegister,
  messageRegisterBig,
  reply,
  setMessageRegister,
  Thread,
  USER_BASE,
} from "./ipc.ts";

// The two spaces of most tests. Each maps its own code, stack and IPC
// buffer; the server's buffer lies where the client maps nothing.
const CLIENT_CODE = USER_BASE;
const CLIENT_STACK = USER_BASE + 0x2000; // top of the page at +0x1000
const CLIENT_BUFFER = USER_BASE + 0x10_0000; // 2 pages
const SERVER_CODE = USER_BASE + 0x4000;
const SERVER_STACK = USER_BASE + 0x6000;
const SERVER_BUFFER = USER_BASE + 0x20_0000; // 2 pages
const ENDPOINT = 0x20_0000;
const CLIENT_TCB = 0x20_1000;
const SERVER_TCB = 0x20_1400;

interface World {
  machine: Machine;
  cpu: Cpu;
  kernel: IpcKernel;
  frames: FrameAllocator;
  client: AddressSpace;
  server: AddressSpace;
  clientThread: Thread;
  serverThread: Thread;
  endpoint: Endpoint;
  /** The frames of the client's and the server's buffer pages. */
  clientBufferFrames: number[];
  serverBufferFrames: number[];
}

interface WorldOptions {
  pcid?: boolean;
  /** The server's handler; none is registered without it. */
  server?: (cpu: Cpu) => void;
  serverBufferSize?: number;
  clientBuffer?: number;
  badge?: number;
}

// Builds the two spaces, the kernel, an endpoint served by the server
// thread, and runs `client` as the client thread's user code.
function world(
  client: (cpu: Cpu, w: World) => void,
  options: WorldOptions = {},
): World {
  const machine = new Machine({ ramSize: 16 << 20 });
  let w: World | undefined;
  const report = machine.run((boot) => {
    const cpu = machine.cpus[0]!;
    if (options.pcid) cpu.writeCr(4, cpu.cr4 | 1 << 17, 0); // CR4.PCIDE
    const frames = new FrameAllocator(boot.memoryMap);
    const pcid = (n: number) => options.pcid ? { pcid: n } : {};
    const clientSpace = AddressSpace.create(frames, pcid(1));
    const serverSpace = AddressSpace.create(frames, pcid(2));
    clientSpace.mapUser(CLIENT_CODE, frames, { executable: true });
    clientSpace.mapUser(CLIENT_STACK - 0x1000, frames, { writable: true });
    const clientBufferFrames = clientSpace.mapUser(CLIENT_BUFFER, frames, {
      pages: 2,
      writable: true,
    });
    serverSpace.mapUser(SERVER_CODE, frames, { executable: true });
    serverSpace.mapUser(SERVER_STACK - 0x1000, frames, { writable: true });
    const serverBufferFrames = serverSpace.mapUser(SERVER_BUFFER, frames, {
      pages: 2,
      writable: true,
    });
    const memory = machine.memory;
    const kernel = new IpcKernel();
    kernel.load();
    const endpoint = Endpoint.create(memory, ENDPOINT, {
      badge: options.badge ?? 0,
    });
    const serverThread = Thread.create(memory, SERVER_TCB, {
      space: serverSpace,
      entry: SERVER_CODE,
      stack: SERVER_STACK,
      ipcBuffer: SERVER_BUFFER,
      ...(options.serverBufferSize === undefined
        ? {}
        : { ipcBufferSize: options.serverBufferSize }),
    });
    const clientThread = Thread.create(memory, CLIENT_TCB, {
      space: clientSpace,
      entry: CLIENT_CODE,
      stack: CLIENT_STACK,
      ipcBuffer: options.clientBuffer ?? CLIENT_BUFFER,
    });
    if (options.server) machine.code.register(SERVER_CODE, options.server);
    kernel.serve(endpoint, serverThread);
    w = {
      machine,
      cpu,
      kernel,
      frames,
      client: clientSpace,
      server: serverSpace,
      clientThread,
      serverThread,
      endpoint,
      clientBufferFrames,
      serverBufferFrames,
    };
    machine.code.register(CLIENT_CODE, (cpu) => client(cpu, w!));
    kernel.run(clientThread);
  });
  strictEqual(report.reason, "returned", report.toString());
  return w!;
}

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

Deno.test("messageInfo packs label << 16 | length, and rejects fields out of range", () => {
  const info = messageInfo(0xbeef, 4096);
  strictEqual(info, 0xbeef_1000);
  strictEqual(messageLabel(info), 0xbeef);
  strictEqual(messageLength(info), 4096);
  throws(() => messageInfo(0x1_0000, 0), RangeError);
  throws(() => messageInfo(0, -1), RangeError);
});

Deno.test("a short call and reply travel in RDX, R10, R8, R9 between two address spaces", () => {
  let seen: Record<string, number | bigint> = {};
  const answers: bigint[] = [];
  let replyInfo = 0;
  const w = world((cpu) => {
    setMessageRegister(0, 1);
    setMessageRegister(1, 0xffff_ffff_ffff_fffen);
    setMessageRegister(2, 2 ** 40);
    setMessageRegister(3, -2); // two's complement
    replyInfo = call(ENDPOINT, messageInfo(7, 32));
    for (const i of [0, 1, 2, 3] as const) answers.push(messageRegisterBig(i));
    strictEqual(cpu.cpl, 3);
  }, {
    badge: 0xcafe,
    server: ipcHandler((info, badge) => {
      const cpu = currentCpu();
      const r = (reg: Reg) => cpu.registers.get(reg);
      seen = {
        info,
        badge,
        cpl: cpu.cpl,
        cr3: cpu.cr3,
        rsp: Number(r(Reg.RSP)),
        rip: Number(r(Reg.RIP)),
        rcx: Number(r(Reg.RCX)),
        r11: Number(r(Reg.R11)),
        w0: messageRegisterBig(0),
        w1: messageRegisterBig(1),
        w2: messageRegisterBig(2),
        w3: messageRegisterBig(3),
      };
      for (const i of [0, 1, 2, 3] as const) {
        setMessageRegister(i, messageRegisterBig(i) + 1n);
      }
      return messageInfo(8, 32);
    }),
  });
  deepStrictEqual(seen, {
    info: messageInfo(7, 32),
    badge: 0xcafe,
    cpl: 3,
    cr3: w.server.cr3,
    rsp: SERVER_STACK,
    rip: SERVER_CODE,
    rcx: SERVER_CODE, // as after a sysret: RCX = RIP, R11 = RFLAGS
    r11: 0x202,
    w0: 1n,
    w1: 0xffff_ffff_ffff_fffen,
    w2: 2n ** 40n,
    w3: 0xffff_ffff_ffff_fffen,
  });
  strictEqual(replyInfo, messageInfo(8, 32));
  deepStrictEqual(answers, [
    2n,
    0xffff_ffff_ffff_ffffn,
    2n ** 40n + 1n,
    0xffff_ffff_ffff_ffffn,
  ]);
  strictEqual(w.endpoint.calls, 1);
  strictEqual(w.endpoint.state, "receiving");
});

Deno.test("the client's other registers survive the call, and none of them reaches the server", () => {
  const KEPT = [
    Reg.RBX,
    Reg.RBP,
    Reg.RDI,
    Reg.R12,
    Reg.R13,
    Reg.R14,
    Reg.R15,
  ];
  let leaked: bigint[] = [];
  let before: bigint[] = [];
  let after: bigint[] = [];
  const stack = [0n, 0n];
  const cr3 = [0, 0];
  world((cpu) => {
    const r = cpu.registers;
    KEPT.forEach((reg, i) => r.set(reg, 0x1111_0000_0000_0000n + BigInt(i)));
    before = KEPT.map((reg) => r.get(reg));
    stack[0] = r.get(Reg.RSP);
    cr3[0] = cpu.cr3;
    call(ENDPOINT, messageInfo(0, 0));
    after = KEPT.filter((reg) => reg !== Reg.RDI).map((reg) => r.get(reg));
    stack[1] = r.get(Reg.RSP);
    cr3[1] = cpu.cr3;
  }, {
    server: ipcHandler(() => {
      const r = currentCpu().registers;
      leaked = [Reg.RBX, Reg.RBP, Reg.RSI, Reg.R12, Reg.R13, Reg.R14, Reg.R15]
        .map((reg) => r.get(reg));
      return messageInfo(0, 0);
    }),
  });
  // RDI held the endpoint for the call: the others are the client's own.
  deepStrictEqual(after, before.filter((_, i) => KEPT[i] !== Reg.RDI));
  strictEqual(stack[0], stack[1]);
  strictEqual(stack[0], BigInt(CLIENT_STACK));
  strictEqual(cr3[0], cr3[1]);
  deepStrictEqual(leaked, [0n, 0n, 0n, 0n, 0n, 0n, 0n]);
});

Deno.test("reply() as a system call answers too; a second reply has no caller", () => {
  let second: unknown;
  let result = 0;
  world(() => {
    setMessageRegister(0, 5);
    result = call(ENDPOINT, messageInfo(1, 8));
    strictEqual(messageRegister(0), 50);
  }, {
    server: ipcHandler(() => {
      setMessageRegister(0, messageRegister(0) * 10);
      reply(messageInfo(2, 8));
      try {
        reply(messageInfo(3, 8));
      } catch (error) {
        second = error;
      }
    }),
  });
  strictEqual(result, messageInfo(2, 8));
  ok(second instanceof IpcError);
  strictEqual(second.kind, "NO_CALLER");
  strictEqual(second.code, IpcErrorCode.NO_CALLER);
});

Deno.test("a long message is copied from the client's buffer into the server's, at its virtual address, through both spaces' page tables", () => {
  const sent = bytes(MAX_MESSAGE_BYTES, 3);
  let received: Uint8Array = new Uint8Array();
  let info = 0;
  const w = world(() => {
    writeBytes(CLIENT_BUFFER, sent); // at CPL 3, through the client's tables
    info = call(ENDPOINT, messageInfo(9, sent.length));
  }, {
    server: ipcHandler((info) => {
      received = readBytes(SERVER_BUFFER, messageLength(info)); // CPL 3
      return messageInfo(0, 0);
    }),
  });
  strictEqual(info, messageInfo(0, 0));
  deepStrictEqual(received, sent);
  // The bytes sit in the server's frames (4 KiB across its two pages).
  const memory = w.machine.memory;
  deepStrictEqual(memory.readBytes(w.serverBufferFrames[0]!, 4096), sent);
  // The copy wrote through the server's tables: D is set in the leaf.
  const leaf = w.server.mapper.translate(new VirtualAddress(SERVER_BUFFER));
  ok(
    leaf.kind === "mapped" &&
      leaf.flags.contains(new PageTableFlags().accessed().dirty()),
  );
});

Deno.test("the client's page tables do not map the server's buffer", () => {
  const w = world(() => {}, {});
  // Nothing at the server buffer's address in the client's space…
  strictEqual(w.client.translate(SERVER_BUFFER), undefined);
  strictEqual(w.client.translate(SERVER_BUFFER + 0x1000), undefined);
  // …and no user page of the client's maps the server's frames; the
  // kernel's identity map (supervisor-only, shared by every space) does.
  for (const frame of w.serverBufferFrames) {
    const mapped = w.client.translate(frame);
    strictEqual(mapped?.address, frame);
    strictEqual(mapped?.user, false);
  }
  for (const page of [CLIENT_CODE, CLIENT_STACK - 0x1000, CLIENT_BUFFER]) {
    const found = w.client.translate(page)!;
    ok(found.user);
    ok(!w.serverBufferFrames.includes(found.address));
  }
  // And the server's space has its buffer where the client has nothing.
  strictEqual(w.server.translate(SERVER_BUFFER)?.user, true);
  strictEqual(w.server.translate(CLIENT_BUFFER), undefined);
});

Deno.test("a long reply, from a buffer that crosses a page, lands in the client's buffer", () => {
  const answer = bytes(3000, 77);
  let got: Uint8Array = new Uint8Array();
  world(() => {
    const info = call(ENDPOINT, messageInfo(1, 0));
    strictEqual(messageLength(info), answer.length);
    got = readBytes(CLIENT_BUFFER, messageLength(info));
  }, {
    server: ipcHandler(() => {
      writeBytes(SERVER_BUFFER, answer); // 3000 bytes: no page crossing
      return messageInfo(2, answer.length);
    }),
  });
  deepStrictEqual(got, answer);
  // Through the reply system call, from and to buffers that cross pages.
  let again: Uint8Array = new Uint8Array();
  world(() => {
    call(ENDPOINT, messageInfo(1, 0));
    again = readBytes(CLIENT_BUFFER + 0x800, answer.length);
  }, {
    clientBuffer: CLIENT_BUFFER + 0x800,
    server: ipcHandler(() => {
      writeBytes(SERVER_BUFFER, answer);
      reply(messageInfo(2, answer.length));
    }),
  });
  deepStrictEqual(again, answer);
});

Deno.test("errors: not an endpoint, as a named IpcError, and as a code in RAX", () => {
  const errors: IpcError[] = [];
  const raw: bigint[] = [];
  world((cpu) => {
    for (const endpoint of [0x30_0000, ENDPOINT + 16, 2 ** 40]) {
      try {
        call(endpoint, messageInfo(0, 0));
      } catch (error) {
        errors.push(error as IpcError);
      }
    }
    // The raw ABI: RAX = IPC_CALL, RDI the endpoint, then syscall.
    cpu.registers.set(Reg.RAX, BigInt(IPC_CALL));
    cpu.registers.set(Reg.RDI, BigInt(0x30_0000));
    cpu.registers.set(Reg.RSI, 0n);
    cpu.syscall();
    raw.push(cpu.registers.view.getBigInt64(Reg.RAX * 8, true));
  }, {
    server: () => {},
  });
  // Plain RAM, an address inside the endpoint, and one beyond RAM (which
  // `call` truncates to 32 bits: 0, which is no endpoint either).
  deepStrictEqual(errors.map((e) => e.kind), [
    "INVALID_ENDPOINT",
    "INVALID_ENDPOINT",
    "INVALID_ENDPOINT",
  ]);
  match(errors[0]!.message, /does not hold an endpoint's address/);
  strictEqual(errors[0]!.name, "IpcError");
  deepStrictEqual(raw, [BigInt(IpcErrorCode.INVALID_ENDPOINT)]);
});

Deno.test("errors: an endpoint no server waits on", () => {
  let error: unknown;
  const machine = new Machine({ ramSize: 8 << 20 });
  machine.run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const space = AddressSpace.create(frames);
    space.mapUser(CLIENT_CODE, frames, { executable: true, writable: true });
    const kernel = new IpcKernel();
    kernel.load();
    Endpoint.create(machine.memory, ENDPOINT);
    machine.code.register(CLIENT_CODE, () => {
      try {
        call(ENDPOINT, 0);
      } catch (e) {
        error = e;
      }
    });
    kernel.run(Thread.create(machine.memory, CLIENT_TCB, {
      space,
      entry: CLIENT_CODE,
      stack: CLIENT_CODE + 0x1000,
    }));
  });
  ok(error instanceof IpcError);
  strictEqual(error.code, IpcErrorCode.NO_SERVER);
  match(error.message, /no server waits on the endpoint \(NO_SERVER, -2\)/);
});

Deno.test("errors: a message too long for 4 KiB or for the receiver's buffer", () => {
  const kinds: string[] = [];
  let ran = 0;
  const w = world(() => {
    for (const length of [MAX_MESSAGE_BYTES + 1, 257]) {
      try {
        call(ENDPOINT, messageInfo(0, length));
      } catch (error) {
        kinds.push((error as IpcError).kind);
      }
    }
    call(ENDPOINT, messageInfo(0, 256)); // fits the server's 256 bytes
  }, {
    serverBufferSize: 256,
    server: ipcHandler(() => {
      ran++;
      return messageInfo(0, 0);
    }),
  });
  deepStrictEqual(kinds, ["MESSAGE_TOO_LONG", "MESSAGE_TOO_LONG"]);
  strictEqual(ran, 1);
  strictEqual(w.endpoint.calls, 1);
});

Deno.test("errors: a client buffer that is unmapped, or a kernel page, is a bad buffer and leaks nothing", () => {
  const SECRET = 0x30_0000; // kernel RAM: present in every space, supervisor-only
  for (const buffer of [USER_BASE + 0x50_0000, SECRET]) {
    let error: unknown;
    let ran = false;
    const w = world(() => {
      try {
        call(ENDPOINT, messageInfo(0, 64));
      } catch (e) {
        error = e;
      }
    }, {
      clientBuffer: buffer,
      server: ipcHandler(() => {
        ran = true;
        return 0;
      }),
    });
    ok(error instanceof IpcError);
    strictEqual(error.kind, "BAD_BUFFER");
    strictEqual(ran, false);
    deepStrictEqual(
      w.machine.memory.readBytes(w.serverBufferFrames[0]!, 64),
      new Uint8Array(64),
    );
    strictEqual(w.endpoint.state, "receiving");
  }
});

Deno.test("errors: a long reply to a client without room is refused to the server, which may reply again", () => {
  let refused: unknown;
  let info = 0;
  world(() => {
    info = call(ENDPOINT, messageInfo(0, 0));
  }, {
    clientBuffer: USER_BASE + 0x50_0000, // unmapped
    server: ipcHandler(() => {
      try {
        reply(messageInfo(1, 100));
      } catch (error) {
        refused = error;
      }
      return messageInfo(2, 0); // a short one goes
    }),
  });
  strictEqual((refused as IpcError).kind, "BAD_BUFFER");
  strictEqual(info, messageInfo(2, 0));
});

Deno.test("errors: a handler that does not reply, and a server entry that is not user code", () => {
  let error: unknown;
  world(() => {
    try {
      call(ENDPOINT, 0);
    } catch (e) {
      error = e;
    }
  }, { server: () => {} });
  strictEqual((error as IpcError).kind, "NO_REPLY");

  // No code registered at the server's entry.
  world(() => {
    try {
      call(ENDPOINT, 0);
    } catch (e) {
      error = e;
    }
  });
  strictEqual((error as IpcError).kind, "SERVER_FAULT");

  // Code there, on a page the server's space maps NX.
  let ran = false;
  world((_cpu, w) => {
    // The kernel's mapper writes the server's tables in RAM (a new
    // restriction of a space that is not loaded needs no invlpg here).
    w.server.mapper.updateFlags(
      Page.containingAddress(SERVER_CODE),
      new PageTableFlags().present().userAccessible().noExecute(),
    ).ignore();
    try {
      call(ENDPOINT, 0);
    } catch (e) {
      error = e;
    }
  }, {
    server: () => {
      ran = true;
    },
  });
  strictEqual((error as IpcError).kind, "SERVER_FAULT");
  strictEqual(ran, false);
});

Deno.test("errors: a server that waits on another CPU refuses a call from this one", () => {
  let error: unknown;
  const w = world((_cpu, w) => {
    // The endpoint's CPU word (+28) names CPU 1 (CPU id + 1).
    w.machine.memory.writeU32(ENDPOINT + 28, 2);
    try {
      call(ENDPOINT, 0);
    } catch (e) {
      error = e;
    }
  }, { server: ipcHandler(() => 0) });
  strictEqual((error as IpcError).kind, "OTHER_CPU");
  strictEqual(w.endpoint.calls, 0);
});

Deno.test("a server's handler may call another server; each returns to its caller", () => {
  const order: string[] = [];
  let result = 0;
  const machine = new Machine({ ramSize: 16 << 20 });
  machine.run((boot) => {
    const frames = new FrameAllocator(boot.memoryMap);
    const memory = machine.memory;
    const kernel = new IpcKernel();
    kernel.load();
    const spaces = [0, 1, 2].map(() => {
      const space = AddressSpace.create(frames);
      space.mapUser(USER_BASE, frames, { pages: 2, writable: true });
      return space;
    });
    const code = [0x10_0000, 0x20_0000, 0x30_0000].map((offset, i) => {
      spaces[i]!.mapUser(USER_BASE + offset, frames, { executable: true });
      return USER_BASE + offset;
    });
    const outer = Endpoint.create(memory, ENDPOINT);
    const inner = Endpoint.create(memory, ENDPOINT + 64);
    const thread = (i: number, address: number) =>
      Thread.create(memory, address, {
        space: spaces[i]!,
        entry: code[i]!,
        stack: USER_BASE + 0x2000,
      });
    machine.code.register(code[0]!, () => {
      for (let round = 1; round <= 2; round++) {
        order.push(`client ${round}`);
        setMessageRegister(0, round);
        result = call(outer.address, messageInfo(0, 8));
        order.push(`client got ${messageRegister(0)}`);
      }
    });
    machine.code.register(
      code[1]!,
      ipcHandler(() => {
        const cpu = machine.cpus[0]!;
        order.push(`outer at CPL ${cpu.cpl}`);
        call(inner.address, messageInfo(0, 8)); // passes the word on
        order.push(`outer got ${messageRegister(0)}`);
        setMessageRegister(0, messageRegister(0) + 100);
        return messageInfo(1, 8);
      }),
    );
    machine.code.register(
      code[2]!,
      ipcHandler(() => {
        order.push(`inner at CPL ${machine.cpus[0]!.cpl}`);
        setMessageRegister(0, messageRegister(0) * 10);
        return messageInfo(2, 8);
      }),
    );
    kernel.serve(outer, thread(1, SERVER_TCB));
    kernel.serve(inner, thread(2, SERVER_TCB + 0x400));
    kernel.run(thread(0, CLIENT_TCB));
  });
  deepStrictEqual(order, [
    "client 1",
    "outer at CPL 3",
    "inner at CPL 3",
    "outer got 10",
    "client got 110",
    "client 2",
    "outer at CPL 3",
    "inner at CPL 3",
    "outer got 20",
    "client got 120",
  ]);
  strictEqual(result, messageInfo(1, 8));
});

Deno.test("with PCIDs the switches keep the client's TLB entries; without, a CR3 load drops them (SDM 3A §4.10.4.1)", () => {
  for (const pcid of [true, false]) {
    let cached = -1;
    world((cpu) => {
      readBytes(CLIENT_STACK - 8, 8); // a translation of the stack page
      call(ENDPOINT, 0);
      cached = cpu.mmu.tlb.lookup(CLIENT_STACK - 8);
    }, { pcid, server: ipcHandler(() => 0) });
    strictEqual(cached >= 0, pcid, `pcid ${pcid}`);
  }
});

Deno.test("the client's x87/SSE state is kept; the server starts with the initial one", () => {
  let serverInitial = false;
  let mxcsr = 0;
  world((cpu) => {
    cpu.fpu.write(24, [0x80, 0x9f, 0, 0]); // MXCSR = 0x9F80: FZ (bit 15) set
    call(ENDPOINT, 0);
    mxcsr = new DataView(cpu.fpu.bytes.buffer).getUint32(24, true);
  }, {
    server: ipcHandler(() => {
      serverInitial = currentCpu().fpu.initial;
      return 0;
    }),
  });
  ok(serverInitial);
  strictEqual(mxcsr, 0x9f80);
});

Deno.test("the in-kernel path: kernel code acting for a thread calls without a syscall", () => {
  let info = 0;
  let word = 0n;
  const machine = new Machine({ ramSize: 8 << 20 });
  machine.run((boot) => {
    const cpu = machine.cpus[0]!;
    const frames = new FrameAllocator(boot.memoryMap);
    const client = AddressSpace.create(frames);
    const server = AddressSpace.create(frames);
    server.mapUser(SERVER_CODE, frames, { executable: true });
    server.mapUser(SERVER_STACK - 0x1000, frames, { writable: true });
    const kernel = new IpcKernel();
    kernel.load();
    const endpoint = Endpoint.create(machine.memory, ENDPOINT);
    machine.code.register(
      SERVER_CODE,
      ipcHandler(() => {
        setMessageRegister(0, messageRegisterBig(0) * 2n);
        return messageInfo(3, 8);
      }),
    );
    kernel.serve(
      endpoint,
      Thread.create(machine.memory, SERVER_TCB, {
        space: server,
        entry: SERVER_CODE,
        stack: SERVER_STACK,
      }),
    );
    kernel.enter(
      Thread.create(machine.memory, CLIENT_TCB, {
        space: client,
        entry: 0,
        stack: 0,
      }),
    );
    strictEqual(cpu.cr3, client.cr3);
    setMessageRegister(0, 21n);
    info = kernel.call(ENDPOINT, messageInfo(1, 8));
    word = messageRegisterBig(0);
    strictEqual(cpu.cpl, 0);
    strictEqual(cpu.cr3, client.cr3);
  });
  strictEqual(info, messageInfo(3, 8));
  strictEqual(word, 42n);
});

Deno.test("endpoints and threads check their addresses and state", () => {
  const machine = new Machine({ ramSize: 4 << 20 });
  const memory = machine.memory;
  throws(() => Endpoint.create(memory, 0x20_0020), RangeError); // not 64-aligned
  throws(() => Endpoint.at(memory, 0x20_0000), /No endpoint/);
  const endpoint = Endpoint.create(memory, 0x20_0000, { badge: 7 });
  strictEqual(Endpoint.at(memory, 0x20_0000).badge, 7);
  strictEqual(endpoint.state, "idle");
  throws(
    () =>
      Thread.create(memory, 0x20_0080, { space: 0x1000, entry: 0, stack: 0 }),
    RangeError,
  );
  const thread = Thread.create(memory, 0x20_0400, {
    space: 0x1000,
    entry: -0x1000, // a higher-half address keeps its signed value
    stack: USER_BASE,
    ipcBuffer: USER_BASE + 0x1000,
  });
  const again = Thread.at(memory, 0x20_0400);
  strictEqual(again.entry, -0x1000);
  strictEqual(again.stack, USER_BASE);
  strictEqual(again.ipcBufferSize, MAX_MESSAGE_BYTES);
  strictEqual(thread.cr3, 0x1000);
  machine.run(() => {
    const kernel = new IpcKernel();
    throws(() => kernel.serve(endpoint, thread), /before load/);
    kernel.load();
    kernel.serve(endpoint, thread);
    strictEqual(endpoint.state, "receiving");
    strictEqual(endpoint.server, 0x20_0400);
    throws(() => kernel.serve(endpoint, thread), /has a server already/);
  });
  strictEqual(endpoint.calls, 0);
});
