import "./report.css";
import {ReportApp, type ReportVsCodeApi} from "./ReportApp";

declare function acquireVsCodeApi(): ReportVsCodeApi;

const root = document.getElementById("belle-report");
if (root == null) throw new Error("the report HTML lacks #belle-report");
new ReportApp(root, acquireVsCodeApi()).start();
