import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import { openMongoStore } from "./mongo.ts";
import { runStoreContract } from "../test/contract.ts";

/**
 * The same contract against a real MongoDB. It needs a server this test does not start (MONGODB_URL, ideally a
 * replica set so that applyOnce is transactional); without one it is skipped and says why.
 */
const url = process.env.MONGODB_URL?.trim();

if (url === undefined || url === "") {
  test("DocumentStore contract: mongodb", { skip: "MONGODB_URL not set: no MongoDB server on this machine" }, () => {});
} else {
  const prefix = `persona_test_${randomUUID().slice(0, 8)}`;
  const databases: string[] = [];
  after(async () => {
    const client = new MongoClient(url);
    try {
      for (const name of databases) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });
  runStoreContract("mongodb", async () => {
    const database = `${prefix}_${databases.length}`;
    databases.push(database);
    return openMongoStore({ url, database, writeConcern: "majority", serverSelectionTimeoutMs: 5000 });
  });
}
